package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkScoreXML is score's throughput on one-event-per-line event XML
// (the real recordings, repeated to 20,000 events), from reading to the
// CSV output, on one goroutine: events/s is the figure; cpu-events/s is
// the same per second of the process's CPU time (GC included), which holds
// when other work shares the machine's cores and wall time does not.
func BenchmarkScoreXML(b *testing.B) {
	var lines [][]byte
	for _, name := range xmlFixtures {
		data, err := readFixture(name)
		if err != nil {
			b.Fatal(err)
		}
		lines = append(lines, bytes.Split(bytes.TrimSpace(data), []byte("\n"))...)
	}
	var input bytes.Buffer
	const events = 20000
	for i := 0; i < events; i++ {
		input.Write(lines[i%len(lines)])
		input.WriteByte('\n')
	}
	b.SetBytes(int64(input.Len()))
	var cpuStart time.Duration
	cpuOK := false
	for b.Loop() {
		if !cpuOK {
			cpuStart, cpuOK = processCPUTime() // after b.Loop's first call: the setup is not counted
		}
		env := Env{Stdin: bytes.NewReader(input.Bytes()), Stdout: io.Discard, Stderr: io.Discard}
		if status := Main([]string{"score", "--format", "csv", "--quiet"}, env); status == ExitUsage {
			b.Fatalf("status %d", status)
		}
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
	if cpuEnd, ok := processCPUTime(); cpuOK && ok && cpuEnd > cpuStart {
		b.ReportMetric(float64(events*b.N)/(cpuEnd-cpuStart).Seconds(), "cpu-events/s")
	}
}

func readFixture(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(realEvents, name))
}
