package command

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/detect/modes"
	"bitsscore/src/internal/testevents"
)

// Split across workers, a chunk's reply is byte for byte the reply scored
// in one piece, for well-formed bodies and for ones that mislead the
// quote-parity split.
func TestParallelEqualsSequential(t *testing.T) {
	big := testevents.Body(20000, 7)
	// A stray quote inside an unquoted cell (tolerated by the reader) flips
	// quote parity for everything after it.
	stray := bytes.Replace(big, []byte("\n\"taskhostw.exe "), []byte("\ntaskhostw\".exe "), 1)
	stray = append([]byte(nil), stray...)
	// A quoted cell full of newlines right where the split would fall.
	mid := len(big) / 2
	cut := bytes.IndexByte(big[mid:], '\n') + mid + 1
	newlines := append(append(append([]byte(nil), big[:cut]...), []byte("\"a\n1\n2\n3,\",\"x\",99999,,,\n")...), big[cut:]...)
	for name, body := range map[string][]byte{"realistic": big, "stray quote": stray, "newlines at the split": newlines} {
		t.Run(name, func(t *testing.T) {
			seq := newChunkScorer(detect.NewSPL())
			want, err := scoreBody(t, seq, body)
			if err != nil {
				t.Fatal(err)
			}
			for _, workers := range []int{2, 3, 4} {
				p := newParallelScorer(detect.NewSPL, workers)
				parts, err := p.score(body)
				if err != nil {
					t.Fatal(err)
				}
				if got := checkedReply(t, parts); !bytes.Equal(got, want) {
					t.Fatalf("%d workers: reply differs from the sequential one (%d vs %d bytes)", workers, len(got), len(want))
				}
				// The header, then runs enough for every worker to take several.
				if name == "realistic" && len(parts) < 1+2*workers {
					t.Errorf("%d workers: %d parts; the body was not split into runs", workers, len(parts))
				}
			}
		})
	}
}

// A malformed body reports the same error, same line, split or not.
func TestParallelErrorsAreSequentialErrors(t *testing.T) {
	body := testevents.Body(20000, 8)
	lines := strings.SplitAfter(string(body), "\n")
	lines[15000] = "\"unterminated,x,1,,,\n"
	bad := []byte(strings.Join(lines, ""))
	_, want := newChunkScorer(detect.NewSPL()).score(bad)
	_, got := newParallelScorer(detect.NewSPL, 4).score(bad)
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Errorf("parallel error %v, sequential error %v", got, want)
	}
}

// A session sizes each reply's writer by the most its replies have encoded
// for their requests' length, so that replies larger than a writer's usual
// share (mode=hardened's) are allocated once and not by doubling: once the
// first chunk has taught the session, a chunk allocates no more than new
// writers would, and none of their growth; and the replies are those of
// one scorer.
func TestRepliesSizedFromTheSession(t *testing.T) {
	newHardened := hardenedDetectors(t)
	body := testevents.Body(20000, 9)
	p := newParallelScorer(newHardened, 2)
	want, err := scoreBody(t, newChunkScorer(newHardened()), body)
	if err != nil {
		t.Fatal(err)
	}
	var allocs [3]uint64
	runs := 0
	for chunk := range allocs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		parts, err := p.score(body)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		allocs[chunk], runs = after.Mallocs-before.Mallocs, len(parts)-1
		if got := checkedReply(t, parts); !bytes.Equal(got, want) {
			t.Fatalf("chunk %d: reply differs from the sequential one", chunk)
		}
		if share := p.encodedShare.Load(); share <= 1<<10/appendedBytesPer {
			t.Fatalf("chunk %d: learned %d bytes per KiB, no more than a writer's usual share", chunk, share)
		}
	}
	// A new writer is three objects (itself, its spans, its encoded
	// bytes), a few more with the race detector; grown by doubling from a
	// sixth of its request to mode=hardened's two thirds, it is ten.
	if allocs[1] > allocs[2]+uint64(6*runs) {
		t.Errorf("allocations per chunk %d: the second chunk's %d runs allocated more than new writers need (reply buffers grown by doubling)", allocs, runs)
	}
}

// hardenedDetectors returns a constructor of mode=hardened detectors, for
// scorers that build one per worker.
func hardenedDetectors(t *testing.T) func() detect.Detector {
	return func() detect.Detector {
		d, err := modes.New(modes.Hardened, modes.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}
