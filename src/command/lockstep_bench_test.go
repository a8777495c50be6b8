package command_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"bitsscore/src/internal/fixture"
	"bitsscore/src/internal/pipes"
	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
	"bitsscore/src/splcsv"
)

// The end-to-end benchmarks drive the command the way splunkd does: in
// lockstep. splunkd starts the process, sends getinfo, then sends execute
// request i+1 only once it has read the whole reply to request i, so a
// command can never read ahead, and a short search pays the process's cold
// start on a large share of its events. Each scenario runs the same stream
// through bitsscore and through scp-echo (which sends every body straight
// back: the ceiling of this path) in the same iteration, alternating which
// goes first, so that their ratio holds on a noisy machine.

// A lockstepScenario is one search as splunkd would run it.
type lockstepScenario struct {
	name      string
	args      []string // the search's arguments
	events    int
	chunkRows int
	// body returns the execute body of rows [from, from+n) of the search.
	body func(tb testing.TB, from, n int) []byte
}

func processEvents(_ testing.TB, from, n int) []byte { return testevents.Body(n, uint64(from)) }

var lockstepScenarios = []lockstepScenario{
	// Splunk starts processes that only answer getinfo (to learn the
	// command's type and fields) before it starts the one that scores.
	{name: "getinfo-only"},
	{name: "spl/300k-in-50k", events: 300000, chunkRows: 50000, body: processEvents},
	{name: "spl/100k-in-50k", events: 100000, chunkRows: 50000, body: processEvents},
	{name: "spl/100k-in-1k", events: 100000, chunkRows: 1000, body: processEvents},
	{name: "hardened/300k-in-50k", args: []string{"mode=hardened"}, events: 300000, chunkRows: 50000, body: processEvents},
	{name: "raw/50k-xml-in-10k", args: []string{"raw=t"}, events: 50000, chunkRows: 10000, body: xmlEvents},
	// One chunk of about 60 MB, for the memory bound: the largest chunk
	// sets the budget, and a cost that grows faster than the chunk shows.
	{name: "spl/300k-in-one", events: 300000, chunkRows: 300000, body: processEvents},
	{name: "hardened/300k-in-one", args: []string{"mode=hardened"}, events: 300000, chunkRows: 300000, body: processEvents},
}

// BenchmarkLockstep runs every scenario. It reports, for bitsscore, events
// per second, the ratio of scp-echo's time to its own on the same stream
// (1 is the ceiling), CPU time (user and system) per event and per
// session, the median time from process start to the getinfo reply, the
// median time from the end of the first execute request to the first
// byte of its reply, and peak RSS, also as a fraction of the bound
// docs/performance.md sets (4 x the largest chunk + 32 MiB); scp-echo's
// figures are prefixed echo-.
//
// bitsscore grows its pipes (internal/pipes); scp-echo, like any command
// that does not ask, keeps the pipes splunkd made, and its ratio is the
// yardstick the targets were set against. ratio-to-echo-grown compares
// bitsscore with scp-echo -grow-pipes as well, run in the same iterations:
// what is left once the pipes are equal.
func BenchmarkLockstep(b *testing.B) {
	echoBin := buildEcho(b)
	for _, sc := range lockstepScenarios {
		b.Run(sc.name, func(b *testing.B) {
			reqs := sc.requests(b)
			var bits, echo, echoGrown lockstepStats
			b.SetBytes(int64(reqs.bodyBytes))
			commands := []struct {
				stats *lockstepStats
				bin   string
				args  []string
			}{{&echo, echoBin, nil}, {&bits, bitsscoreBin, nil}, {&echoGrown, echoBin, []string{"-grow-pipes"}}}
			for i := 0; b.Loop(); i++ {
				for k := range commands {
					c := commands[(i+k)%len(commands)] // each goes first in turn
					run, err := runLockstep(c.bin, c.args, reqs)
					if err != nil {
						b.Fatal(err)
					}
					c.stats.add(run)
				}
			}
			b.ReportMetric(median(bits.getinfo).Seconds()*1e3, "getinfo-ms")
			b.ReportMetric(median(echo.getinfo).Seconds()*1e3, "echo-getinfo-ms")
			b.ReportMetric(echo.sum().Seconds()/bits.sum().Seconds(), "ratio-to-echo")
			b.ReportMetric(echoGrown.sum().Seconds()/bits.sum().Seconds(), "ratio-to-echo-grown")
			sessions := float64(len(bits.total))
			b.ReportMetric(sum(bits.cpu).Seconds()*1e3/sessions, "cpu-ms/session")
			b.ReportMetric(sum(echo.cpu).Seconds()*1e3/sessions, "echo-cpu-ms/session")
			peak := slices.Max(bits.peakRSS)
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(peak)/float64(4*reqs.largestBody+32<<20), "RSS/bound")
			if sc.events == 0 {
				return
			}
			events := float64(sc.events * len(bits.total))
			b.ReportMetric(events/bits.sum().Seconds(), "events/s")
			b.ReportMetric(events/echo.sum().Seconds(), "echo-events/s")
			// CPU time per event is steadier than elapsed time on a shared
			// machine: the measure A/B comparisons of the command rest on.
			b.ReportMetric(sum(bits.cpu).Seconds()*1e9/events, "cpu-ns/event")
			b.ReportMetric(sum(echo.cpu).Seconds()*1e9/events, "echo-cpu-ns/event")
			b.ReportMetric(median(bits.firstByte).Seconds()*1e3, "first-byte-ms")
		})
	}
}

// lockstepRequests are a session's requests, framed in advance so that
// the driver spends its time on the pipes, as splunkd would.
type lockstepRequests struct {
	getinfo     []byte
	executes    [][]byte // the last one is the header-only finished request
	bodyBytes   int
	largestBody int
}

func (sc lockstepScenario) requests(tb testing.TB) lockstepRequests {
	var r lockstepRequests
	args := `[]`
	if len(sc.args) > 0 {
		args = `["` + strings.Join(sc.args, `","`) + `"]`
	}
	r.getinfo = frame(`{"action":"getinfo","preview":false,"searchinfo":{"args":`+args+`,"raw_args":`+args+`,"command":"bitsscore","splunk_version":"9.2.1"}}`, "")
	var last []byte
	for from := 0; from < sc.events; from += sc.chunkRows {
		last = sc.body(tb, from, min(sc.chunkRows, sc.events-from))
		r.executes = append(r.executes, frame(`{"action":"execute","finished":false}`, string(last)))
		r.bodyBytes += len(last)
		r.largestBody = max(r.largestBody, len(last))
	}
	if last == nil {
		return r // a getinfo-only process
	}
	// splunkd 8.x and later end with a header-only chunk.
	r.executes = append(r.executes, frame(`{"action":"execute","finished":true}`, string(last[:bytes.IndexByte(last, '\n')+1])))
	return r
}

// A lockstepRun is what one session measured.
type lockstepRun struct {
	total     time.Duration // process start to exit
	cpu       time.Duration // the process's user and system time
	getinfo   time.Duration // process start to the whole getinfo reply
	firstByte time.Duration // end of the first execute request to its reply's first byte
	peakRSS   int64         // bytes
	pipes     [2]int        // the buffer sizes of stdin's and stdout's pipes at the end, in bytes
	replies   []scp.Message // only when kept
}

// runLockstep runs one session of bin in lockstep: it writes each request
// whole, then reads the whole reply, and only then writes the next. A lean
// driver: it checks the count and framing of the replies, not their values
// (the tests do that), so that it takes as little CPU from the command as
// splunkd would.
func runLockstep(bin string, args []string, reqs lockstepRequests) (lockstepRun, error) {
	return lockstep(bin, args, reqs, false)
}

func lockstep(bin string, args []string, reqs lockstepRequests, keep bool) (run lockstepRun, err error) {
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return run, err
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return run, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdinR, stdoutW, &stderr
	start := time.Now()
	err = cmd.Start()
	stdinR.Close()
	stdoutW.Close()
	if err != nil {
		stdinW.Close()
		stdoutR.Close()
		return run, err
	}
	defer func() {
		stdinW.Close()
		stdoutR.Close()
		if werr := cmd.Wait(); werr != nil && err == nil {
			err = fmt.Errorf("%s: %v: %s", filepath.Base(bin), werr, stderr.Bytes())
		}
		run.total = time.Since(start)
		if cmd.ProcessState != nil {
			run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}()
	deadline := start.Add(2 * time.Minute) // a hang fails the run
	stdinW.SetWriteDeadline(deadline)
	stdoutR.SetReadDeadline(deadline)
	out := &firstByteReader{r: stdoutR}
	replies := scp.NewReader(out)
	replies.Strict = true
	var msg scp.Message

	exchange := func(n int, req []byte) error {
		if _, err := stdinW.Write(req); err != nil {
			return fmt.Errorf("request %d: writing: %w", n, err)
		}
		out.mark()
		if err := replies.ReadMessageInto(&msg); err != nil {
			return fmt.Errorf("request %d: reading the reply: %w", n, err)
		}
		if bytes.Contains(msg.Metadata, []byte(`"error"`)) {
			return fmt.Errorf("request %d: an error reply: %s", n, msg.Metadata)
		}
		if keep {
			run.replies = append(run.replies, scp.Message{Metadata: bytes.Clone(msg.Metadata), Body: bytes.Clone(msg.Body)})
		}
		return nil
	}
	if err := exchange(0, reqs.getinfo); err != nil {
		return run, err
	}
	run.getinfo = time.Since(start)
	for i, req := range reqs.executes {
		if err := exchange(i+1, req); err != nil {
			return run, err
		}
		if i == 0 {
			run.firstByte = out.first.Sub(out.marked)
		}
		if !bytes.Contains(msg.Metadata, []byte(`"finished"`)) {
			return run, fmt.Errorf("request %d: the reply's metadata %s lacks finished", i+1, msg.Metadata)
		}
	}
	// The peak of the process's own memory. Not the rusage of wait: that
	// counts the driver's pages too, which the child shares until exec.
	if run.peakRSS, err = peakRSS(cmd.Process.Pid); err != nil {
		return run, err
	}
	for i, f := range []*os.File{stdinW, stdoutR} {
		if run.pipes[i], err = pipes.Size(f); err != nil {
			return run, err
		}
	}
	stdinW.Close() // splunkd closes the input at the end of the search
	if _, err := replies.ReadMessage(); err != io.EOF {
		return run, fmt.Errorf("after the last reply: want the end of output, got %v", err)
	}
	return run, nil
}

// A firstByteReader notes when the first byte after mark arrives.
type firstByteReader struct {
	r             io.Reader
	marked, first time.Time
	waiting       bool
}

func (f *firstByteReader) mark() { f.marked, f.waiting = time.Now(), true }

func (f *firstByteReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && f.waiting {
		f.first, f.waiting = time.Now(), false
	}
	return n, err
}

// lockstepStats gathers the runs of one command in one scenario.
type lockstepStats struct {
	total, cpu, getinfo, firstByte []time.Duration
	peakRSS                        []int64
}

func (s *lockstepStats) add(run lockstepRun) {
	s.total = append(s.total, run.total)
	s.cpu = append(s.cpu, run.cpu)
	s.getinfo = append(s.getinfo, run.getinfo)
	s.firstByte = append(s.firstByte, run.firstByte)
	s.peakRSS = append(s.peakRSS, run.peakRSS)
}

func (s *lockstepStats) sum() time.Duration { return sum(s.total) }

func sum(d []time.Duration) time.Duration {
	var t time.Duration
	for _, x := range d {
		t += x
	}
	return t
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// buildEcho builds scp-echo for one test or benchmark.
func buildEcho(tb testing.TB) string {
	bin := filepath.Join(tb.TempDir(), "scp-echo")
	if out, err := exec.Command("go", "build", "-o", bin, "bitsscore/src/cmd/scp-echo").CombinedOutput(); err != nil {
		tb.Fatalf("building scp-echo: %v\n%s", err, out)
	}
	return bin
}

// xmlEvents returns a body of n whole Windows events as Splunk sends _raw
// for XmlWinEventLog: the recorded XML events of testdata/real-events in
// turn, every value quoted.
func xmlEvents(tb testing.TB, from, n int) []byte {
	var events [][]byte
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "real-events", "*", "*.xml.log"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no XML events under testdata/real-events: %v", err)
	}
	for _, f := range files {
		events = append(events, fixture.Lines(tb, f)...)
	}
	w := splcsv.NewWriter()
	for _, h := range []string{"_raw", "_chunked_idx", "__mv__raw", "__mv__chunked_idx"} {
		w.WriteString(h)
	}
	w.EndRecord()
	for i := range n {
		w.WriteField(events[(from+i)%len(events)])
		w.WriteString(strconv.Itoa(i))
		w.WriteRaw(nil)
		w.WriteRaw(nil)
		w.EndRecord()
	}
	return bytes.Clone(w.Bytes())
}

// TestLockstepDriver proves the benchmarks' driver itself: a reply per
// request, in order, each echoing its request's finished flag and, for
// scp-echo, its body; and that it measures what it claims.
func TestLockstepDriver(t *testing.T) {
	sc := lockstepScenario{events: 7, chunkRows: 3, body: processEvents}
	reqs := sc.requests(t)
	echoBin := buildEcho(t)
	run, err := lockstep(echoBin, nil, reqs, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(run.replies), 1+len(reqs.executes); got != want {
		t.Fatalf("%d replies, want one per request: %d", got, want)
	}
	for i, req := range reqs.executes {
		sent, err := scp.NewReader(bytes.NewReader(req)).ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		got := run.replies[i+1]
		if !bytes.Equal(got.Body, sent.Body) {
			t.Errorf("reply %d does not echo request %d's body: replies are out of order", i+1, i+1)
		}
		finished := i == len(reqs.executes)-1
		if want := fmt.Sprintf(`"finished":%t`, finished); !bytes.Contains(got.Metadata, []byte(want)) {
			t.Errorf("reply %d metadata %s, want %s", i+1, got.Metadata, want)
		}
	}
	if run.getinfo <= 0 || run.firstByte <= 0 || run.total < run.getinfo || run.peakRSS <= 0 {
		t.Errorf("measures: getinfo %v, first byte %v, total %v, peak RSS %d", run.getinfo, run.firstByte, run.total, run.peakRSS)
	}
	// scp-echo leaves the pipes as the driver made them, like any command
	// that does not ask; bitsscore grows both (internal/pipes).
	if run.pipes[0] >= pipes.DefaultSize || run.pipes[1] >= pipes.DefaultSize {
		t.Errorf("scp-echo's pipes hold %v bytes: the driver's pipes are not the default", run.pipes)
	}
	grown, err := lockstep(echoBin, []string{"-grow-pipes"}, reqs, false)
	if err != nil {
		t.Fatal(err)
	}
	grownSize := grownPipeSize(t)
	if want := [2]int{grownSize, grownSize}; grown.pipes != want {
		t.Errorf("scp-echo -grow-pipes left its pipes at %v bytes, want %v", grown.pipes, want)
	}
	// bitsscore through the same driver: every chunk comes back scored.
	run, err = lockstep(bitsscoreBin, nil, reqs, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, reply := range run.replies[1:] {
		if !bytes.Contains(reply.Body, []byte("SuspicionScore")) {
			t.Errorf("bitsscore reply %d lacks SuspicionScore: %q", i+1, reply.Body)
		}
	}
	if want := [2]int{grownSize, grownSize}; run.pipes != want {
		t.Errorf("bitsscore left its pipes at %v bytes, want %v", run.pipes, want)
	}
}

// grownPipeSize is the size pipes.Grow gives a pipe here: DefaultSize, or,
// where the kernel refuses this account larger pipes, the size a new pipe
// has, which a refused Grow keeps.
func grownPipeSize(t *testing.T) int {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	size, err := pipes.Grow(r, pipes.DefaultSize)
	if err != nil {
		t.Logf("pipes do not grow here (%v): the commands' pipes should keep %d bytes", err, size)
	}
	return size
}
