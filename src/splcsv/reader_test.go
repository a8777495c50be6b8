package splcsv

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// recordBoundary is the reference of BoundaryScan: the first record start
// after from in the whole body, quote parity counted from start, a record
// start; -1 when there is none.
func recordBoundary(body []byte, start, from int) int {
	inQuotes := bytes.Count(body[start:from], []byte{'"'})%2 == 1
	for i := from; i < len(body); i++ {
		switch body[i] {
		case '"':
			inQuotes = !inQuotes
		case '\n':
			if !inQuotes {
				return i + 1
			}
		}
	}
	return -1
}

// A BoundaryScan given a body in arrivals of any size finds what the
// reference finds in the whole body.
func TestBoundaryScanMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	alphabet := []byte("ab,\"\n")
	for range 2000 {
		body := make([]byte, 1+rng.IntN(200))
		for i := range body {
			body[i] = alphabet[rng.IntN(len(alphabet))]
		}
		// Boundaries one after the other, each searched from a random
		// point past the last, the body arriving in random pieces.
		var scan BoundaryScan
		last, arrived := 0, 0
		for last < len(body) {
			from := last + rng.IntN(len(body)-last+1)
			want := recordBoundary(body, last, from)
			got := scan.Next(body[:arrived], from)
			for got < 0 && arrived < len(body) {
				arrived = min(len(body), arrived+1+rng.IntN(8))
				got = scan.Next(body[:arrived], from)
			}
			if got < 0 && want >= 0 || got >= 0 && got != want {
				t.Fatalf("body %q from %d (last %d): scan %d, reference %d", body, from, last, got, want)
			}
			if got < 0 {
				break
			}
			last = got
		}
	}
}

// Arrivals of one byte each cost a BoundaryScan no more than one arrival:
// each call looks only at the bytes past where the last one stopped (pos
// only moves forward, and a call that finds nothing has looked at every
// byte that arrived), so a body trickled in costs one pass over it.
func TestBoundaryScanLooksAtEachByteOnce(t *testing.T) {
	body := append(bytes.Repeat([]byte(`"x""y",`), 1<<16), '\n') // one record of 448 KiB
	var scan BoundaryScan
	for n := 1; n <= len(body); n++ {
		before := scan.pos
		got := scan.Next(body[:n], 0)
		if scan.pos < before || (got < 0 && scan.pos != n) {
			t.Fatalf("after %d bytes: the scan went from %d to %d", n, before, scan.pos)
		}
		if got >= 0 && got != len(body) {
			t.Fatalf("boundary at %d, want %d", got, len(body))
		}
	}
	if scan.pos != len(body) {
		t.Errorf("the scan ended at %d, want %d", scan.pos, len(body))
	}
}
