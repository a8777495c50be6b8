package command

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/internal/fixture"
	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
)

const benchChunkEvents = 50000

// benchmarkChunks runs score over body and reports bytes, events and
// allocations; body holds benchChunkEvents records.
func benchmarkChunks(b *testing.B, body []byte, score func([]byte) error) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := score(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchChunkEvents)/b.Elapsed().Seconds(), "events/s")
}

// sender returns a function that writes a reply the way the session does,
// through a buffer of replyBufferSize, to nowhere: a benchmark of scoring includes
// producing the reply's bytes.
func sender() func(scp.Body, error) error {
	w := scp.NewWriterSize(io.Discard, replyBufferSize)
	return func(body scp.Body, err error) error {
		if err != nil {
			return err
		}
		return w.WriteMessageBody(nil, body)
	}
}

// sequential scores with one scorer, in one piece, and sends the reply.
func sequential(s *chunkScorer) func([]byte) error {
	send := sender()
	return func(body []byte) error { return send(s.score(body)) }
}

// BenchmarkScoreChunk scores one 50,000-event chunk in memory: the
// command's own cost, without the pipe.
func BenchmarkScoreChunk(b *testing.B) {
	body := testevents.Body(benchChunkEvents, 1)
	s := newChunkScorer(detect.NewSPL())
	benchmarkChunks(b, body, sequential(s))
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
	send := sender()
	benchmarkChunks(b, body, func(body []byte) error { return send(p.score(body)) })
}

// BenchmarkScoreChunkManyColumns scores the sum.map recording: 50,000
// records of 48 columns, every field with an __mv_ companion, none of them
// the command's. Records pass through whole, so cost follows bytes, not
// columns.
func BenchmarkScoreChunkManyColumns(b *testing.B) {
	body := recordedBody(b, "sum.map.input.gz")
	s := newChunkScorer(detect.NewSPL())
	benchmarkChunks(b, body, sequential(s))
}

// BenchmarkScoreChunkMultivalue scores a chunk whose command lines are all
// multivalue (three values each, with $ to escape): every record decodes
// its __mv_ cell and matches each value.
func BenchmarkScoreChunkMultivalue(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`"CommandLine","Image","_chunked_idx","__mv_CommandLine","__mv_Image","__mv__chunked_idx"` + "\n")
	for i := 0; i < benchChunkEvents; i++ {
		fmt.Fprintf(&body, "\"cmd.exe /c set X=$1\npowershell.exe -nop -c Get-Date\nbitsadmin /list\",\"C:\\Windows\\System32\\cmd.exe\",%d,\"$cmd.exe /c set X=$$1$;$powershell.exe -nop -c Get-Date$;$bitsadmin /list$\",,\n", i)
	}
	s := newChunkScorer(detect.NewSPL())
	benchmarkChunks(b, body.Bytes(), sequential(s))
}

// recordedBody returns the body of a recording's single execute chunk.
func recordedBody(b *testing.B, name string) []byte {
	r := scp.NewReader(bytes.NewReader(fixture.Gunzip(b, filepath.Join("..", "..", "testdata", "scpv2-recordings", name))))
	for {
		msg, err := r.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if req, _ := scp.DecodeRequest(msg.Metadata); req.Action == scp.ActionExecute {
			return bytes.Clone(msg.Body)
		}
	}
}
