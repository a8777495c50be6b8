package command

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/detect/hardened"
	"bitsscore/src/internal/testevents"
)

// BenchmarkScoreChunkMode scores the same 50,000-event chunk with
// mode=spl and mode=hardened, through the chunk scorer and the reply's
// encoding: the per-event cost of each mode as a search pays it. The
// unique events make every command line distinct (an /id: suffix), as in
// a real stream, so that no memo answers. Compare the modes' events/s
// (the target is hardened at least half of spl).
func BenchmarkScoreChunkMode(b *testing.B) {
	for _, events := range []string{"repeated", "unique"} {
		body := testevents.Body(benchChunkEvents, 1)
		if events == "unique" {
			body = uniqueCommandLines(b, body)
		}
		for _, mode := range []struct {
			name string
			det  detect.Detector
		}{{"spl", detect.NewSPL()}, {"hardened", hardened.New(nil)}} {
			b.Run(events+"/"+mode.name, func(b *testing.B) {
				benchmarkChunks(b, body, sequential(newChunkScorer(mode.det)))
			})
		}
	}
}

// uniqueCommandLines rewrites a testevents body, CommandLine first, so that
// record n's command line ends in " /id:n".
func uniqueCommandLines(tb testing.TB, body []byte) []byte {
	tb.Helper()
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(records) < 2 || records[0][0] != "CommandLine" {
		tb.Fatalf("testevents.Body: %v", err)
	}
	var out bytes.Buffer
	for n, r := range records {
		if n > 0 {
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
