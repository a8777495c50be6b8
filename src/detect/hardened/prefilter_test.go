package hardened

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// naiveAnchors is the definition anchors implements fast: remove the bytes
// tokenize removes, lowercase ASCII, look for every anchor.
func naiveAnchors(text []byte) textAnchors {
	var folded []byte
	for _, c := range text {
		if c != '"' && c != '\'' && c != '^' && c != '`' {
			folded = append(folded, lowerASCII(c))
		}
	}
	var found textAnchors
	for i, anchor := range bitsAnchors {
		if bytes.Contains(folded, anchor) {
			found |= anchorAny
			if i < scriptAnchors {
				found |= anchorScript
			}
		}
	}
	return found
}

// anchors agrees with its definition on texts made of pieces of anchors,
// their case and quote variants, and the letters the search keys on.
func TestAnchorsMatchDefinition(t *testing.T) {
	pieces := []string{" ", "\"", "'", "^", "`", "w", "y", "q", "k", "b", "s", "C:\\Windows\\System32\\", "-k netsvcs"}
	for _, anchor := range bitsAnchors {
		s := string(anchor)
		pieces = append(pieces, s, s[:len(s)/2], s[len(s)/2:], string(bytes.ToUpper(anchor)), s[:1]+"^"+s[1:])
	}
	rng := rand.New(rand.NewPCG(1197, 4))
	var a analysis
	counts := map[textAnchors]int{}
	for range 20000 {
		var text []byte
		for range rng.IntN(6) {
			text = append(text, pieces[rng.IntN(len(pieces))]...)
		}
		want := naiveAnchors(text)
		counts[want]++
		if got := a.anchors(text); got != want {
			t.Fatalf("anchors(%q) = %b, want %b", text, got, want)
		}
	}
	for _, w := range []textAnchors{0, anchorAny, anchorAny | anchorScript} {
		if counts[w] == 0 {
			t.Errorf("no text gave %b: the test does not cover it", w)
		}
	}
}
