//go:build unix

package command

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"bitsscore/src/detect"
	"bitsscore/src/detect/hardened"
	"bitsscore/src/internal/testevents"
)

// BenchmarkScoreChunkMode scores the same 50,000-event chunk with
// mode=spl and mode=hardened, through the chunk scorer and the reply's
// encoding: the per-event cost of each mode as a search pays it. The
// unique events make every command line distinct (an /id: suffix), as in
// a real stream, so that no memo answers; unique-benign keeps only the
// ordinary processes among them (no BITS, no PowerShell), most of a real
// stream. Compare the modes' events/s
// (the target is hardened at least half of spl), or better on a shared
// machine, their cpu-ns/event: the process's CPU time, which other
// processes' load disturbs far less than the wall clock.
func BenchmarkScoreChunkMode(b *testing.B) {
	for _, events := range []string{"repeated", "unique", "unique-benign"} {
		body := testevents.Body(benchChunkEvents, 1)
		if events == "unique-benign" {
			body = testevents.Body(3*benchChunkEvents, 1) // about half are kept
		}
		if events != "repeated" {
			body = uniqueCommandLines(b, body, events == "unique-benign")
		}
		for _, mode := range []struct {
			name string
			det  detect.Detector
		}{{"spl", detect.NewSPL()}, {"hardened", hardened.New(nil)}} {
			b.Run(events+"/"+mode.name, func(b *testing.B) {
				cpu := processCPUTime(b)
				benchmarkChunks(b, body, sequential(newChunkScorer(mode.det)))
				events := bytes.Count(body, []byte("\n")) - 1
				b.ReportMetric(float64(processCPUTime(b)-cpu)/float64(b.N*events), "cpu-ns/event")
			})
		}
	}
}

// uniqueCommandLines rewrites a testevents body, CommandLine first, so that
// record n's command line ends in " /id:n"; benignOnly drops the records
// whose command line or image names BITS or PowerShell. It keeps at most
// benchChunkEvents records.
func uniqueCommandLines(tb testing.TB, body []byte, benignOnly bool) []byte {
	tb.Helper()
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(records) < 2 || records[0][0] != "CommandLine" {
		tb.Fatalf("testevents.Body: %v", err)
	}
	var out bytes.Buffer
	kept := 0
	for n, r := range records {
		if kept > benchChunkEvents {
			break
		}
		kept++
		if n > 0 {
			text := strings.ToLower(r[0] + r[1])
			if benignOnly && (strings.Contains(text, "bits") || strings.Contains(text, "powershell")) {
				kept--
				continue
			}
			r[0] = fmt.Sprintf("%s /id:%d", r[0], n)
		}
		for j, v := range r {
			if j > 0 {
				out.WriteByte(',')
			}
			if v != "" {
				out.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
			}
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// processCPUTime is the CPU time the process has used, user and system.
func processCPUTime(tb testing.TB) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
