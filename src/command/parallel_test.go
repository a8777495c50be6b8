package command

import (
	"bytes"
	"strings"
	"testing"

	"bitsscore/src/detect"
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
