package appcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"bitsscore/src/detect"
)

// originalSPLStanza is the saved search that carries the original SPL verbatim.
const originalSPLStanza = "T1197 BITS Jobs - Original SPL"

// referenceSPL returns testdata/detection-spl.txt: the SPL block of
// detection.md, each line ending in "\n" (see its PROVENANCE note).
func referenceSPL(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "detection-spl.txt"))
	if err != nil {
		t.Fatalf("the reference SPL is missing: %v", err)
	}
	if !strings.HasSuffix(string(data), "\n") {
		t.Fatal("testdata/detection-spl.txt must end with a newline")
	}
	return string(data)
}

// TestOriginalSPLIsVerbatim is drift guard (i): the shipped search equals the
// SPL of detection.md byte for byte.
func TestOriginalSPLIsVerbatim(t *testing.T) {
	want := referenceSPL(t)
	pkg := loadPackage(t)
	s := pkg.conf(t, "default/savedsearches.conf").Stanza(originalSPLStanza)
	if s == nil {
		t.Fatalf("savedsearches.conf has no [%s]", originalSPLStanza)
	}
	search, _ := s.Get("search")
	got := search + "\n"
	if got == want {
		return
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("[%s] search differs from testdata/detection-spl.txt at line %d:\n got: %q\nwant: %q", originalSPLStanza, i+1, g, w)
		}
	}
	t.Fatalf("[%s] search differs from testdata/detection-spl.txt", originalSPLStanza)
}

// splMatchEval is one `| eval X=if(match(<input>, "<literal>"), 1, 0)` of the SPL.
type splMatchEval struct {
	Field, Input string
	Lower        bool
	Literal      string // between the quotes, SPL escaping intact
}

// evalMatchStart finds the start of each match() eval up to its opening quote.
var evalMatchStart = regexp.MustCompile(`\| eval (\w+)=if\(match\((?:lower\((\w+)\)|(\w+)), "`)

// parseMatchEvals extracts every match() eval of spl. A string literal runs
// to the first `"` not escaped by a backslash; `\x` never ends it.
func parseMatchEvals(spl string) ([]splMatchEval, error) {
	var evals []splMatchEval
	for _, loc := range evalMatchStart.FindAllStringSubmatchIndex(spl, -1) {
		e := splMatchEval{Field: spl[loc[2]:loc[3]]}
		if loc[4] >= 0 {
			e.Input, e.Lower = spl[loc[4]:loc[5]], true
		} else {
			e.Input = spl[loc[6]:loc[7]]
		}
		start := loc[1]
		end := -1
		for i := start; i < len(spl); i++ {
			if spl[i] == '\\' {
				i++
				continue
			}
			if spl[i] == '"' {
				end = i
				break
			}
		}
		if end < 0 {
			return nil, fmt.Errorf("eval %s: unterminated string literal", e.Field)
		}
		e.Literal = spl[start:end]
		if !strings.HasPrefix(spl[end:], `"), 1, 0)`) {
			return nil, fmt.Errorf("eval %s: literal not followed by \"), 1, 0)", e.Field)
		}
		evals = append(evals, e)
	}
	if n := strings.Count(spl, "=if(match("); n != len(evals) {
		return nil, fmt.Errorf("parsed %d match() evals, but the SPL holds %d", len(evals), n)
	}
	return evals, nil
}

// TestSPLRulesMatchDetect is drift guard (ii): detect.SPLRules, which the
// command implements, are exactly the match() evals of the original SPL.
func TestSPLRulesMatchDetect(t *testing.T) {
	evals, err := parseMatchEvals(referenceSPL(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(evals) != len(detect.SPLRules) {
		t.Fatalf("the SPL has %d match() evals, detect.SPLRules has %d", len(evals), len(detect.SPLRules))
	}
	for i, e := range evals {
		rule := detect.SPLRules[i]
		if rule.Field != e.Field || rule.Input != e.Input || rule.Lower != e.Lower {
			t.Errorf("eval %d: SPL has %s from %s (lower %v), detect.SPLRules has %s from %s (lower %v)",
				i+1, e.Field, e.Input, e.Lower, rule.Field, rule.Input, rule.Lower)
		}
		if rule.Literal != e.Literal {
			t.Errorf("eval %d (%s): literal\n SPL:   %s\n rules: %s", i+1, e.Field, e.Literal, rule.Literal)
		}
		if pattern := detect.UnescapeSPLString(e.Literal); rule.Pattern != pattern {
			t.Errorf("eval %d (%s): pattern\n SPL:   %s\n rules: %s", i+1, e.Field, pattern, rule.Pattern)
		}
	}

	// Independent oracle: detection.md spells out what these two literals
	// become after SPL unescaping.
	documented := map[string]string{
		"SuspiciousDest": `(\\appdata\\|\\users\\public\\|\\programdata\\|\\windows\\temp\\|c:\\temp\\)`,
		"SuspiciousExt":  `\.(exe|dll|ps1|bat|cmd|vbs|js|hta)(\s|$|'|")`,
	}
	for _, e := range evals {
		if want, ok := documented[e.Field]; ok {
			if got := detect.UnescapeSPLString(e.Literal); got != want {
				t.Errorf("%s unescapes to %s, detection.md says %s", e.Field, got, want)
			}
			delete(documented, e.Field)
		}
	}
	for field := range documented {
		t.Errorf("the SPL has no %s eval", field)
	}
}

func TestParseMatchEvals(t *testing.T) {
	spl := `| eval A=if(match(lower(X), "a\"b\\"), 1, 0)` + "\n" + `| eval B=if(match(Y, "\.c$"), 1, 0)`
	got, err := parseMatchEvals(spl)
	if err != nil {
		t.Fatal(err)
	}
	want := []splMatchEval{
		{Field: "A", Input: "X", Lower: true, Literal: `a\"b\\`},
		{Field: "B", Input: "Y", Literal: `\.c$`},
	}
	if len(got) != len(want) {
		t.Fatalf("parseMatchEvals = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("eval %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{
		`| eval A=if(match(X, "unterminated), 1, 0)`,
		`| eval A=if(match(X, "a"), 0, 1)`,
		`| eval A=if(match(X, "a"), 1, 0) | eval B=if(match(replace(X), "b"), 1, 0)`,
	} {
		if _, err := parseMatchEvals(bad); err == nil {
			t.Errorf("parseMatchEvals accepted %q", bad)
		}
	}
}
