package detect

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
	"github.com/google/go-cmp/cmp"
)

// The tests here pin each PCRE2-versus-regexp2 and SPL-evaluation decision
// listed in docs/semantics.md, on the engine itself where the decision is
// about the engine.

func TestTranslatePCRE2(t *testing.T) {
	for _, c := range []struct{ pcre2, want string }{
		{`\.(exe|js)(\s|$|'|")`, `\.(exe|js)([\t\n\x0B\f\r ]|$|'|")`},
		{`(\\appdata\\|c:\\temp\\)`, `(\\appdata\\|c:\\temp\\)`},
		{`\\s`, `\\s`}, // an escaped backslash, then a literal s
		{`[a\s]`, `[a\t\n\x0B\f\r ]`},
		{`(?i)bitsadmin\.exe$`, `(?i)bitsadmin\.exe$`},
		{`https?://(?!(.*\.microsoft\.com))`, `https?://(?!(.*\.microsoft\.com))`},
		{`\t\n\r\f`, `\t\n\r\f`},
	} {
		got, err := translatePCRE2(c.pcre2)
		if err != nil || got != c.want {
			t.Errorf("translatePCRE2(%q) = %q, %v; want %q, nil", c.pcre2, got, err, c.want)
		}
	}
	for _, unsupported := range []string{`\w`, `\d`, `\b`, `\S`, `\h`, `\x41`, `(?s).`, `(?m)^`, `(?<n>a)`, `[]a]`, `[^]a]`, `[a`, `a\`, `é`} {
		if got, err := translatePCRE2(unsupported); err == nil {
			t.Errorf("translatePCRE2(%q) = %q, nil; want an error", unsupported, got)
		}
	}
}

// TestEveryRuleTranslates pins that each SPLRules pattern gets through
// translatePCRE2 and compiles, and that only SuspiciousExt changes.
func TestEveryRuleTranslates(t *testing.T) {
	for _, r := range SPLRules {
		got, err := translatePCRE2(r.Pattern)
		if err != nil {
			t.Errorf("%s: %v", r.Field, err)
			continue
		}
		if changed := got != r.Pattern; changed != (r.Field == "SuspiciousExt") {
			t.Errorf("%s: translated %q to %q", r.Field, r.Pattern, got)
		}
	}
	if _, err := newSPLReference(); err != nil {
		t.Errorf("newSPLReference: %v", err)
	}
}

func mustMatch(t *testing.T, pattern, s string) bool {
	t.Helper()
	ok, err := regexp2.MustCompile(pattern).MatchString(s)
	if err != nil {
		t.Fatalf("regexp2 %q on %q: %v", pattern, s, err)
	}
	return ok
}

// TestDialectSpace: PCRE2's `\s` without UCP is HT LF VT FF CR SP; regexp2's
// is Unicode White_Space. The untranslated pattern would be wrong.
func TestDialectSpace(t *testing.T) {
	for _, nonASCIISpace := range []string{"\u00a0", "\u0085", "\u2028", "\u3000"} {
		if !mustMatch(t, `^\s$`, nonASCIISpace) {
			t.Errorf("regexp2 `\\s` does not match %q: the translation may no longer be needed", nonASCIISpace)
		}
		if mustMatch(t, "^["+asciiSpaceClass+"]$", nonASCIISpace) {
			t.Errorf("the ASCII space class matches %q", nonASCIISpace)
		}
	}
	for _, space := range []string{"\t", "\n", "\v", "\f", "\r", " "} {
		if !mustMatch(t, "^["+asciiSpaceClass+"]$", space) {
			t.Errorf("the ASCII space class does not match %q", space)
		}
	}
}

// TestDialectDollarAndDot: in both engines `$` (no multiline) matches at
// the end or before a final '\n', and `.` excludes only '\n'.
func TestDialectDollarAndDot(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{`a$`, "a", true}, {`a$`, "a\n", true}, {`a$`, "a\n\n", false}, {`a$`, "a\r\n", false}, {`a$`, "a\nb", false},
		{`a.`, "a\r", true}, {`a.`, "a\u2028", true}, {`a.`, "a\u0085", true}, {`a.`, "a\n", false}, {`a.`, "a\xff", true},
	} {
		if got := mustMatch(t, c.pattern, c.s); got != c.want {
			t.Errorf("regexp2 %q on %q = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// TestDialectInvalidUTF8: regexp2 decodes as Go does, one U+FFFD per
// invalid byte (here: \xff, then \xe2 and \x84 of a truncated sequence).
func TestDialectInvalidUTF8(t *testing.T) {
	if !mustMatch(t, `^a\uFFFD\uFFFD\uFFFDb$`, "a\xff\xe2\x84b") {
		t.Error("regexp2 does not see U+FFFD for invalid UTF-8")
	}
}

// TestCaseFoldingAgreesWithRegexp2 checks foldsTo (used for the Image
// suffixes) against regexp2's (?i) for every non-ASCII code point and
// every ASCII letter, and pins the result: only 'ſ' and the Kelvin sign
// fold to ASCII letters, as in PCRE2's Unicode caseless matching.
func TestCaseFoldingAgreesWithRegexp2(t *testing.T) {
	// One regexp2 scan over every non-ASCII code point: matching them one
	// by one takes seconds.
	var all []rune
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if utf8.ValidRune(r) { // surrogates cannot occur in decoded UTF-8
			all = append(all, r)
		}
	}
	matches, err := regexp2.MustCompile(`(?i)[a-z]`).FindAllRunesIndex(all, -1)
	if err != nil {
		t.Fatal(err)
	}
	byRegexp2 := map[rune]bool{}
	for _, m := range matches {
		byRegexp2[all[m[0]]] = true
	}
	folded := map[rune]string{}
	for _, r := range all {
		var letters string
		for c := 'a'; c <= 'z'; c++ {
			if foldsTo(r, c) {
				letters += string(c)
			}
		}
		if byRegexp2[r] != (letters != "") {
			t.Errorf("U+%04X: regexp2 (?i)[a-z] = %v, foldsTo letters %q", r, byRegexp2[r], letters)
		}
		if letters != "" {
			folded[r] = letters
			for _, c := range letters {
				if !mustMatch(t, "(?i)^"+string(c)+"$", string(r)) {
					t.Errorf("U+%04X: foldsTo says %q, regexp2 disagrees", r, c)
				}
			}
		}
	}
	if diff := cmp.Diff(map[rune]string{'\u017F': "s", '\u212A': "k"}, folded); diff != "" {
		t.Errorf("non-ASCII runes folding to ASCII letters (-want +got):\n%s", diff)
	}
}

// TestLowerLeavesASCIIOnlyForTwoRunes pins the Unicode fact behind the
// İ and Kelvin test cases: unicode.ToLower maps exactly two non-ASCII code
// points into ASCII, U+0130 to 'i' and U+212A to 'k'.
func TestLowerLeavesASCIIOnlyForTwoRunes(t *testing.T) {
	got := map[rune]rune{}
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); l < utf8.RuneSelf {
			got[r] = l
		}
	}
	if diff := cmp.Diff(map[rune]rune{'\u0130': 'i', '\u212A': 'k'}, got); diff != "" {
		t.Errorf("non-ASCII runes lowering to ASCII (-want +got):\n%s", diff)
	}
}

// TestLowerIsPerRuneSimpleMapping pins lower() on the reference and on
// NewSPL's scratch buffer: no special casing, no normalization, so 'ẞ'
// becomes 'ß' (not "ss") and 'ſ' stays 'ſ'.
func TestLowerIsPerRuneSimpleMapping(t *testing.T) {
	for in, want := range map[string]string{
		"İ": "i", "\u212A": "k", "ẞ": "ß", "ſ": "ſ", "ΣΑΣ": "σασ", "Ⱥ": "ⱥ", "A\xffB": "a\xffb",
	} {
		if got := string(appendLowerUnicode(nil, []byte(in))); got != want {
			t.Errorf("appendLowerUnicode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLongLines is the linear path on 1 MiB values, fast path only: the
// reference would take minutes on the adversarial one.
func TestLongLines(t *testing.T) {
	adversarial := adversarialLine(mebibyte)
	plain := plainLine(mebibyte)
	manyLines := append(bytes.Repeat([]byte("http://x.windows.com a\n"), mebibyte/24), "https://evil.tld"...)
	for _, c := range []struct {
		name  string
		value []byte
		want  map[string]string
	}{
		{"adversarial", adversarial, map[string]string{"ExternalDownload": "0", "SuspicionScore": "0"}},
		{"adversarial then external", append(bytes.Clone(adversarial), " http://evil.tld"...),
			map[string]string{"ExternalDownload": "1", "SuspicionScore": "1"}},
		{"adversarial upper case", bytes.ToUpper(adversarial), map[string]string{"ExternalDownload": "0"}},
		{"plain", plain, map[string]string{"HasReset": "0", "SuspiciousExt": "1", "ExternalDownload": "0", "SuspicionScore": "1"}},
		{"plain then reset", append(bytes.Clone(plain), " /RESET"...), map[string]string{"HasReset": "1", "SuspicionScore": "1"}},
		{"plain non-ASCII", append([]byte("é"), plain...), map[string]string{"SuspiciousExt": "1", "SuspicionScore": "1"}},
		{"many lines, last one external", manyLines, map[string]string{"ExternalDownload": "1"}},
	} {
		got := scoreEvent(NewSPL(), splEvent{commandLine: Values{c.value}})
		for field, want := range c.want {
			if diff := cmp.Diff([]string{want}, got[field]); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", c.name, field, diff)
			}
		}
	}
	if !strings.HasSuffix(string(adversarial), "http://.microsoft.com") || len(adversarial) < mebibyte-16 {
		t.Errorf("adversarialLine is not the adversarial shape")
	}
}
