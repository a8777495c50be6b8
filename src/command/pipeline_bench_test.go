package command_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
)

// pipelineChunks of testevents.Body(50,000) make one session: 500,000
// events, about 100 MB each way.
const (
	pipelineChunks      = 10
	pipelineChunkEvents = 50000
)

// BenchmarkPipelined is an end-to-end measure that splunkd never runs: a
// driver writes the whole session into the process through an OS pipe at
// once, without waiting for replies, and reads the replies from another.
// It shows the command's throughput when reading overlaps scoring and
// writing; BenchmarkLockstep is the measure of a search. Each iteration
// runs one session through bitsscore and one through scp-echo, which sends
// every chunk straight back: the ceiling of this path. Both are timed in
// the same run, so their ratio holds on a noisy machine.
func BenchmarkPipelined(b *testing.B) {
	echoBin := buildEcho(b)
	stream := sessionStream(b, pipelineChunks, func(i int) []byte { return testevents.Body(pipelineChunkEvents, uint64(i)) })
	var bitsscore, echo time.Duration
	b.SetBytes(int64(len(stream)))
	for b.Loop() {
		echo += pipeSession(b, echoBin, stream)
		bitsscore += pipeSession(b, bitsscoreBin, stream)
	}
	events := float64(b.N * pipelineChunks * pipelineChunkEvents)
	b.ReportMetric(events/bitsscore.Seconds(), "events/s")
	b.ReportMetric(events/echo.Seconds(), "echo-events/s")
	b.ReportMetric(echo.Seconds()/bitsscore.Seconds(), "ratio-to-echo")
}

// sessionStream frames a whole session: getinfo, the chunks, and the 8.x
// header-only final chunk.
func sessionStream(b testing.TB, chunks int, body func(int) []byte) []byte {
	var buf bytes.Buffer
	w := scp.NewWriter(&buf)
	w.WriteMessage([]byte(`{"action":"getinfo","preview":false,"searchinfo":{"args":[],"raw_args":[],"command":"bitsscore","splunk_version":"9.2.1"}}`), nil)
	var last []byte
	for i := 0; i < chunks; i++ {
		last = body(i)
		w.WriteMessage([]byte(`{"action":"execute","finished":false}`), last)
	}
	header := last[:bytes.IndexByte(last, '\n')+1]
	w.WriteMessage([]byte(`{"action":"execute","finished":true}`), header)
	return buf.Bytes()
}

// pipeSession runs one session through pipes and returns how long it took
// from start to exit. A lean driver: it checks the reply count and sizes,
// not every value (the tests do that), so that it costs the command as
// little CPU as splunkd would.
func pipeSession(b *testing.B, bin string, stream []byte) time.Duration {
	b.Helper()
	start := time.Now()
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		stdin.Write(stream)
		stdin.Close()
	}()
	r := scp.NewReader(stdout)
	replies, bytesBack := 0, 0
	for {
		msg, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		replies++
		bytesBack += len(msg.Body)
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s: %v", bin, err)
	}
	elapsed := time.Since(start)
	if want := pipelineChunks + 2; replies != want || bytesBack < len(stream)/2 {
		b.Fatalf("%s: %d replies with %d body bytes, want %d replies", bin, replies, bytesBack, want)
	}
	return elapsed
}
