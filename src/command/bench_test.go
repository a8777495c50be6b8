package command

import (
	"bytes"
	"io"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
)

const benchChunkEvents = 50000

// BenchmarkScoreChunk scores one 50,000-event chunk in memory: the
// command's own cost, without the pipe.
func BenchmarkScoreChunk(b *testing.B) {
	body := testevents.Body(benchChunkEvents, 1)
	s := newChunkScorer(detect.NewSPL())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.score(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchChunkEvents)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { s.score(body) }))/benchChunkEvents, "allocs/event")
}

// BenchmarkSession runs a whole in-memory session of ten chunks: framing,
// metadata, scoring and writing.
func BenchmarkSession(b *testing.B) {
	const chunks = 10
	var stream bytes.Buffer
	w := scp.NewWriter(&stream)
	w.WriteMessage([]byte(`{"action":"getinfo","searchinfo":{"args":[]}}`), nil)
	body := testevents.Body(benchChunkEvents, 2)
	for i := 0; i < chunks; i++ {
		w.WriteMessage([]byte(`{"action":"execute","finished":false}`), body)
	}
	w.WriteMessage([]byte(`{"action":"execute","finished":true}`), nil)
	b.SetBytes(int64(stream.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if status := NewSession(bytes.NewReader(stream.Bytes()), io.Discard).Run(); status != ExitOK {
			b.Fatalf("status %d", status)
		}
	}
	b.ReportMetric(float64(b.N*chunks*benchChunkEvents)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkScoreChunkParallel scores the same chunk split across the
// workers a session uses.
func BenchmarkScoreChunkParallel(b *testing.B) {
	body := testevents.Body(benchChunkEvents, 1)
	p := newParallelScorer(detect.NewSPL, scoringWorkers())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.score(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchChunkEvents)/b.Elapsed().Seconds(), "events/s")
}
