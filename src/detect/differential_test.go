package detect

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// maxDifferentialValue bounds each value the reference sees: its
// ExternalDownload is quadratic on lines with many "http://".
const maxDifferentialValue = 4 << 10

// adversarialValues are hand-made values at the edges of each fast path:
// overlapping and nested schemes, lines, `$` and `\s` ends, folds and
// lowercase mappings that leave ASCII, invalid UTF-8.
var adversarialValues = []string{
	"", "\n", "\r\n", "\n\n", " ",
	// Schemes: overlaps, nesting, lines, partial forms.
	"http://", "https://", "http://http://", "https://http://a.windows.com", "httphttps://", "hthttp://",
	"http:/", "http:://", "https:///", "://", "http", "ht\ntp://", "http\n://",
	"http://\n", "http://\n.microsoft.com", "\nhttp://x\n", "http://x\n\n", "http://x\r\n.microsoft.com",
	".microsoft.comhttp://", "http://.microsoft.co", "http://.microsoft.com\nhttp://",
	"http://x.windowsupdate.com.microsoft.com", "https://x.windows.co", "http://x.windows.comhttp://y",
	"http://.windows.com.", "http://a.windows.com http://b", "http://a http://b.windows.com",
	"http://a.windowsupdate.co", "http://a.windowsupdatecom", "http://a.windows.comm", "http://.Windows.com",
	"https://a.microsoft.com\nhttps://b", "https://a\nhttps://b.microsoft.com", "HTTP://a", "Http://a", "httpS://a",
	"http://a\u2028.microsoft.com", "http://a\u0085.microsoft.com", "http://a\xff.microsoft.com", "http\xff://a",
	"\xffhttp://a", "http://é.microsoft.com", "http://a.micro\u017Foft.com",
	strings.Repeat("http://", 500) + ".microsoft.com",
	strings.Repeat("http://", 500) + ".microsoft.com http://x",
	strings.Repeat("https://a.windows.com\n", 150) + "https://b",
	// Extensions: ends, `$`, ASCII `\s`, near misses.
	"a.exe", "a.exe\n", "a.exe\n\n", "a.exe\r", "a.exe\v", "a.exe\f", "a.exe\t", "a.exe ", "a.exe'", "a.exe\"",
	"a.exe\u00a0", "a.exe\u0085", "a.exe\u2028", "a.exe\u3000", "a.exe\x00", "a.exe\xff", "a.ex", "..exe", ".exe.exe",
	"a.jse", "a.js\n", "a.JS", "a.Hta", "a.\u212Aexe", "a.e\u0130xe", ".", ".e", "a.cmd,", "a.ps1;", "a.bat)",
	// Literal alternations, split and near.
	"/setnotify", "/setnotifycmdlin", "/SETNOTIFYFLAGS", "//setnotifyflags", "/setnotifyflag", "/set notifyflags",
	"/transfe", "/TRANSFER", "/addfil", "/ADDF\u0130LE", "/addf\u0131le", "/re\u017Fet", "/RESET", "/reset\n",
	"start-bitstransfe", "START-BITSTRANSFER", "start--bitstransfer", "new-bitstransfer", "New-BitsTransfer",
	"add-bitsfil", "ADD-BITSFILE", "add-bit\u017Ffile", "-bitstransfer", "start-", "tart-bitstransfer",
	`\appdata\`, `\AppData`, `\APPDATA\`, `\users\public\`, `\users\publi\`, `\programdata\`, `\ProgramData\x`,
	`\windows\temp\`, `\windows\tem\`, `c:\temp\`, `C:\TEMP\`, `c:\temp`, `d:\temp\`, `\temp\`, `:\temp\`, `c\temp\`,
	`c:\\temp\`, `\\appdata\\`,
	// Image shapes.
	"bitsadmin.exe", "BITSADMIN.EXE", "bitsadmin.exe\n", "bitsadmin.exe\n\n", "bitsadmin.exe\r\n", "\nbitsadmin.exe",
	"bitsadmin.exe\x00", "bitsadmin.ex", "itsadmin.exe", "biT\u017FADMIN.exe", "bit\u017Fadmin.\u212Axe",
	"powershell.exe", "POWERSHELL.EXE\n", "power\u017Fhell.exe", "pow\u0435rshell.exe", "pwsh.exe", "pw\u017Fh.exe",
	"pwsh.exe\u212A", "powershell_ise.exe", "\xffpwsh.exe", "pwsh.ex\xe5", "pwsh\xc3.exe", "\xe2\x84\xaapwsh.exe",
	// Lowercase mappings that change byte length.
	"\u023A/reset", "\u0130/addfile", "\u212A.exe", "\u1E9E/transfer", "\u2C6F\\appdata\\",
	// ExternalDownload's per-line reasoning: many "://" on a line, "://"
	// split by a line, schemes at the very end, domains before and after
	// schemes, upper case, non-ASCII.
	strings.Repeat("x://", 300) + "http://a", strings.Repeat("http://a.microsoft.com ", 100) + "http://b",
	strings.Repeat("http://a.microsoft.com\n", 100), strings.Repeat("http://a.microsoft.com\n", 100) + "http://b",
	"http:/\n/a", "http:\n//a", "a http://", "a https://", ".microsoft.com http://x", "http://x.windows.com http://y .microsoft.com",
	"Http://x.microsoft.com http://y", "HTTPS://x http://y.windows.com", "é http://x", "http://é.windows.com", "http://x\xff",
	"http://a.microsoft.com.com", "http://a.comicrosoft.com", "http://a.windowsupdate.windows.com", "http://amicrosoft.com",
	"http://a.microsoft.com/http://b.windows.com", "https://a.windowsupdate.com/x.exe https://b",
	// The trigger scan: triggers at the last byte and at word and 64-byte
	// edges, needles across an edge, and values where every lower() flag
	// is set before a "://", ASCII and not.
	"a/", "a\\", "a-", "a.", "/", "\\", strings.Repeat("a", 63) + "/reset", strings.Repeat("a", 62) + "/reset",
	strings.Repeat("a", 60) + "/setnotifyflags", strings.Repeat("a", 58) + "start-bitstransfer", strings.Repeat("a", 61) + `\appdata\`,
	strings.Repeat("a", 63) + ".exe", strings.Repeat("a", 64) + ".js", strings.Repeat("a", 61) + "http://x", strings.Repeat("é", 40) + "/addfile",
	`/setnotifyflags /transfer /reset \appdata\ a.exe http://x`, `/setnotifyflags /transfer /reset \appdata\ a.exe http://x.microsoft.com`,
	`/SETNOTIFYFLAGS /ADDFİLE /reset \users\public\ a.hta é http://x`, `/setnotifycmdline add-bitsfile /reset c:\temp\ a.bat` + strings.Repeat(" ", 70) + "https://y",
}

// longPathSPL is NewSPL with every value taking the long-line path
// (ExternalDownload decided by hasExternalDownload, not in the scan), so
// that the differential tests and fuzzers prove that path on values the
// reference can afford.
func longPathSPL() Detector {
	d := newSPL(memoSlots, memoArenaSize)
	d.longLine = 0
	return d
}

// adversarialEvents combines adversarialValues into every input shape.
func adversarialEvents() []splEvent {
	var events []splEvent
	for _, c := range splCases {
		events = append(events, c.in)
	}
	for i, s := range adversarialValues {
		other := adversarialValues[(i*7+3)%len(adversarialValues)]
		events = append(events,
			splEvent{commandLine: one(s)},
			splEvent{processCommandLine: one(s), image: one(s)},
			splEvent{commandLine: one(""), processCommandLine: one(s), image: one(other)},
			splEvent{commandLine: multi(other, s), image: multi(s, other)},
			splEvent{commandLine: one(s + other), image: one(other + s)},
			splEvent{commandLine: one(strings.ToUpper(s)), image: one(strings.ToUpper(s))},
		)
	}
	return events
}

func assertSameAsReference(t *testing.T, fast Detector, ref *splReference, e splEvent) {
	t.Helper()
	if diff := cmp.Diff(scoreEvent(ref, e), scoreEvent(fast, e)); diff != "" {
		t.Errorf("%v: NewSPL differs from the reference (-reference +NewSPL):\n%s", e, diff)
	}
}

func TestSPLMatchesReferenceAdversarial(t *testing.T) {
	fast, long, ref := NewSPL(), longPathSPL(), mustReference(t)
	events := adversarialEvents()
	for _, e := range events {
		assertSameAsReference(t, fast, ref, e)
		assertSameAsReference(t, long, ref, e)
	}
	if len(events) < 1000 {
		t.Errorf("only %d adversarial events; the corpus lost its combinations", len(events))
	}
}

// fragments are what randomValue builds values from: pieces of every
// pattern, case and fold variants, lines, quotes, invalid UTF-8.
var fragments = []string{
	"/setnotifycmdline", "/setnotifyflags", "/SetNotify", "cmdline", "flags", "/transfer", "/addfile", "/reset", "/",
	"start-bitstransfer", "new-bitstransfer", "add-bitsfile", "start", "new", "add", "-", "bits", "transfer", "file",
	`\appdata\`, `\users\public\`, `\programdata\`, `\windows\temp\`, `c:\temp\`, `\`, "c:", "temp", "users", "public",
	".exe", ".dll", ".ps1", ".bat", ".cmd", ".vbs", ".js", ".hta", ".", "exe", "js", "json",
	"http://", "https://", "http", "https", "://", ":", "//", "HTTP://",
	".microsoft.com", ".windowsupdate.com", ".windows.com", ".windows", "microsoft", ".com", "update",
	"bitsadmin.exe", "powershell.exe", "pwsh.exe", "bitsadmin", "powershell", "pwsh",
	"\u017F", "\u212A", "\u0130", "\u0131", "\u00a0", "\u0085", "\u2028", "é", "\u023A", "\u1E9E",
	"\n", "\r", "\r\n", "\t", "\v", "\f", " ", "'", "\"", "\x00",
	"\xff", "\xe2\x84", "\xc4", "\xb0", "\xe2", "\x80",
	"a", "x", "s", "k", "e", "i", "C:", "job", "evil.tld",
}

// randomValue mixes fragments, flipping ASCII case and swapping letters for
// their non-ASCII fold or lowercase partners.
func randomValue(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(14); n > 0 && b.Len() < maxDifferentialValue/2; n-- {
		frag := fragments[rng.IntN(len(fragments))]
		switch rng.IntN(6) {
		case 0:
			frag = strings.ToUpper(frag)
		case 1:
			frag = frag[:rng.IntN(len(frag)+1)] // a near miss
		case 2:
			frag = strings.NewReplacer("s", "\u017F", "k", "\u212A", "i", "\u0130", "S", "\u017F").Replace(frag)
		case 3:
			frag = strings.Repeat(frag, 1+rng.IntN(4))
		}
		b.WriteString(frag)
	}
	return b.String()
}

func randomField(rng *rand.Rand) Values {
	switch rng.IntN(6) {
	case 0:
		return nil
	case 1:
		return one("")
	case 2:
		return multi(randomValue(rng), randomValue(rng), randomValue(rng))
	default:
		return one(randomValue(rng))
	}
}

// imageEndings end Image values often enough that IsBitsAdmin and
// IsPowerShell fire, with fold variants and `$`'s final newline.
var imageEndings = []string{
	"bitsadmin.exe", "BitsAdmin.EXE", "bit\u017Fadmin.exe", "powershell.exe", "POWER\u017FHELL.exe", "pwsh.exe", "pw\u017Fh.EXE",
}

func randomImage(rng *rand.Rand) Values {
	v := randomField(rng)
	if len(v) > 0 && rng.IntN(2) == 0 {
		k := rng.IntN(len(v))
		v[k] = append(v[k], imageEndings[rng.IntN(len(imageEndings))]...)
		if rng.IntN(4) == 0 {
			v[k] = append(v[k], '\n')
		}
	}
	return v
}

func TestSPLMatchesReferenceRandom(t *testing.T) {
	const events = 5000
	fast, long, ref := NewSPL(), longPathSPL(), mustReference(t)
	rng := rand.New(rand.NewPCG(1197, 2026))
	var hits [8]int // events per flag set, so a generator that never fires a rule fails
	for range events {
		e := splEvent{commandLine: randomField(rng), processCommandLine: randomField(rng), image: randomImage(rng)}
		assertSameAsReference(t, fast, ref, e)
		assertSameAsReference(t, long, ref, e)
		got := scoreEvent(ref, e)
		for i, rule := range SPLRules {
			if got[rule.Field][0] == "1" {
				hits[i]++
			}
		}
	}
	for i, rule := range SPLRules {
		if hits[i] < events/100 || hits[i] > events*99/100 {
			t.Errorf("%s is 1 in %d of %d random events; the generator no longer exercises it", rule.Field, hits[i], events)
		}
	}
}

// TestLowerMatchesStringsMap pins appendLowerUnicode to SPL's lower() as the
// reference computes it, unicode.ToLower per rune, for valid UTF-8 (on
// invalid bytes the two differ on purpose: see appendLowerUnicode).
func TestLowerMatchesStringsMap(t *testing.T) {
	for _, s := range append(adversarialValues, "ÀÉÎÕÜ ΣΑΣ İSTANBUL KELVIN\u212A ẞ Ⱥ") {
		if strings.ToValidUTF8(s, "") != s {
			continue
		}
		want := strings.Map(unicode.ToLower, s)
		if got := string(appendLowerUnicode(nil, []byte(s))); got != want {
			t.Errorf("appendLowerUnicode(%q) = %q, want %q", s, got, want)
		}
	}
}
