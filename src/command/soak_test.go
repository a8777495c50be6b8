package command_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"bitsscore/src/internal/testevents"
	"bitsscore/src/splcsv"
	"bitsscore/src/splunkd"
)

// The soak: 10 million small realistic events through one process, in
// the 50,000-event chunks splunkd sends by default.
const (
	soakChunks      = 200
	soakChunkEvents = 50000
	// soakWarmChunk is when the process's memory is taken as its steady
	// state: after the buffers have grown to a chunk's size and a few
	// garbage collections have run.
	soakWarmChunk = 20
	// soakMaxGrowth bounds how much the peak RSS may grow over the other
	// 180 chunks. A leak of even one byte per event would be 9 MB; a
	// buffer kept per chunk, hundreds.
	soakMaxGrowth = 32 << 20
)

// BenchmarkSoak10M pushes 10 million events through one bitsscore process
// and checks that every record comes back and that memory stays flat: the
// peak RSS (VmHWM) after chunk 200 is within soakMaxGrowth of the peak
// after chunk 20. It reports both, and the events per second of the whole
// session, driver included.
//
//	go test ./src/command -run '^$' -bench Soak10M -benchtime 1x
func BenchmarkSoak10M(b *testing.B) {
	// A few distinct bodies, so the process does not see one chunk again
	// and again; generating 200 would dominate the run.
	bodies := make([][]byte, 4)
	for i := range bodies {
		bodies[i] = testevents.Body(soakChunkEvents, uint64(100+i))
	}
	var warm, peak int64
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		warm, peak = soakSession(b, bodies)
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(warm)/(1<<20), "warm-peak-RSS-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "final-peak-RSS-MiB")
	b.ReportMetric(float64(b.N*soakChunks*soakChunkEvents)/elapsed.Seconds(), "events/s")
	if peak-warm > soakMaxGrowth {
		b.Errorf("peak RSS grew from %d MiB after chunk %d to %d MiB after chunk %d: memory is not flat", warm>>20, soakWarmChunk, peak>>20, soakChunks)
	}
}

// soakSession runs one 10M-event session and returns the process's peak
// RSS after the warm-up chunks and at the end.
func soakSession(b *testing.B, bodies [][]byte) (warm, peak int64) {
	s, err := splunkd.Start(bitsscoreBin)
	if err != nil {
		b.Fatal(err)
	}
	s.Timeout = time.Minute
	defer s.Wait()
	if _, err := s.GetInfo(searchInfo(b)); err != nil {
		b.Fatal(err)
	}
	meta := []byte(`{"action":"execute","finished":false}`)
	for i := 1; i <= soakChunks; i++ {
		if err := s.Send(meta, bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
		msg, err := s.ReadReply()
		if err != nil {
			b.Fatalf("chunk %d: %v", i, err)
		}
		if err := checkSoakReply(msg.Body); err != nil {
			b.Fatalf("chunk %d: %v (metadata %s)", i, err, msg.Metadata)
		}
		if i == soakWarmChunk {
			if warm, err = peakRSS(s.Pid()); err != nil {
				b.Fatal(err)
			}
		}
	}
	if peak, err = peakRSS(s.Pid()); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Execute(nil, true); err != nil {
		b.Fatal(err)
	}
	exit, err := s.Wait()
	if err != nil || exit.Code != 0 || len(exit.Stderr) > 0 {
		b.Fatalf("exit: %v, %s", err, exit)
	}
	return warm, peak
}

// checkSoakReply checks, cheaply enough for 10 million records, that a
// reply holds every record of a chunk in order: _chunked_idx runs 0, 1, ...
func checkSoakReply(body []byte) error {
	r := splcsv.NewReader(body)
	if _, err := r.ReadHeader(); err != nil {
		return err
	}
	idx := -1
	for c, name := range r.Header() {
		if name == "_chunked_idx" {
			idx = c
		}
	}
	if idx < 0 {
		return fmt.Errorf("no _chunked_idx in %q", r.Header())
	}
	n := 0
	for ; ; n++ {
		fields, err := r.Next()
		if err != nil {
			return err
		}
		if fields == nil {
			break
		}
		v, _ := fields[idx].Value(nil)
		if string(v) != strconv.Itoa(n) {
			return fmt.Errorf("record %d has _chunked_idx %q", n, v)
		}
	}
	if n != soakChunkEvents {
		return fmt.Errorf("%d records came back, want %d", n, soakChunkEvents)
	}
	return nil
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// peakRSS must read a real number: the soak's verdict rests on it.
func TestPeakRSSOfThisProcess(t *testing.T) {
	// Touch 64 MiB so the peak is at least that.
	ballast := bytes.Repeat([]byte{1}, 64<<20)
	rss, err := peakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < int64(len(ballast)) || rss > 64<<30 {
		t.Errorf("peak RSS %d bytes, want at least the %d just touched", rss, len(ballast))
	}
}
