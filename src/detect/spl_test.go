package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnescapeSPLString(t *testing.T) {
	for _, c := range []struct{ literal, want string }{
		{``, ``},
		{`plain`, `plain`},
		{`\\`, `\`},
		{`\\\\`, `\\`},
		{`\"`, `"`},
		{`\.`, `\.`},
		{`\s`, `\s`},
		{`\n`, `\n`},
		{`a\`, `a\`},
		{`\\\"`, `\"`},
		{`\\.`, `\.`},
		{`c:\\\\temp\\\\`, `c:\\temp\\`},
		{`(\s|$|'|\")`, `(\s|$|'|")`},
	} {
		if got := UnescapeSPLString(c.literal); got != c.want {
			t.Errorf("UnescapeSPLString(%q) = %q, want %q", c.literal, got, c.want)
		}
	}
}

// TestSPLRulesLiteralsUnescapeToPatterns ties each rule's SPL text to the
// pattern match() receives, so the two cannot drift apart.
func TestSPLRulesLiteralsUnescapeToPatterns(t *testing.T) {
	for _, r := range SPLRules {
		if got := UnescapeSPLString(r.Literal); got != r.Pattern {
			t.Errorf("%s: UnescapeSPLString(%q) = %q, want Pattern %q", r.Field, r.Literal, got, r.Pattern)
		}
	}
}

// TestSPLRulesShape pins the order, inputs and lower() use of the eight
// evals as the original search has them.
func TestSPLRulesShape(t *testing.T) {
	type shape struct {
		Field, Input string
		Lower        bool
	}
	want := []shape{
		{"IsBitsAdmin", "Image", false},
		{"IsPowerShell", "Image", false},
		{"HasNotify", "CommandLine", true},
		{"HasTransfer", "CommandLine", true},
		{"HasReset", "CommandLine", true},
		{"SuspiciousDest", "CommandLine", true},
		{"SuspiciousExt", "CommandLine", true},
		{"ExternalDownload", "CommandLine", false},
	}
	var got []shape
	for _, r := range SPLRules {
		got = append(got, shape{r.Field, r.Input, r.Lower})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SPLRules (-want +got):\n%s", diff)
	}
}

// TestSPLRulesEvalText rebuilds each eval line as the search writes it; a
// reviewer can diff these against docs/detection.md by eye, and the
// drift guard compares them with the shipped savedsearches.conf.
func TestSPLRulesEvalText(t *testing.T) {
	want := []string{
		`| eval IsBitsAdmin=if(match(Image, "(?i)bitsadmin\.exe$"), 1, 0)`,
		`| eval IsPowerShell=if(match(Image, "(?i)(powershell|pwsh)\.exe$"), 1, 0)`,
		`| eval HasNotify=if(match(lower(CommandLine), "(/setnotifycmdline|/setnotifyflags)"), 1, 0)`,
		`| eval HasTransfer=if(match(lower(CommandLine), "(/transfer|/addfile|start-bitstransfer|new-bitstransfer|add-bitsfile)"), 1, 0)`,
		`| eval HasReset=if(match(lower(CommandLine), "/reset"), 1, 0)`,
		`| eval SuspiciousDest=if(match(lower(CommandLine), "(\\\\appdata\\\\|\\\\users\\\\public\\\\|\\\\programdata\\\\|\\\\windows\\\\temp\\\\|c:\\\\temp\\\\)"), 1, 0)`,
		`| eval SuspiciousExt=if(match(lower(CommandLine), "\.(exe|dll|ps1|bat|cmd|vbs|js|hta)(\s|$|'|\")"), 1, 0)`,
		`| eval ExternalDownload=if(match(CommandLine, "https?://(?!(.*\.microsoft\.com|.*\.windowsupdate\.com|.*\.windows\.com))"), 1, 0)`,
	}
	var got []string
	for _, r := range SPLRules {
		input := r.Input
		if r.Lower {
			input = "lower(" + input + ")"
		}
		got = append(got, `| eval `+r.Field+`=if(match(`+input+`, "`+r.Literal+`"), 1, 0)`)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("eval lines (-want +got):\n%s", diff)
	}
}
