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

// anchors and holdsAnchor, which read a text in place, agree with their
// definition on texts made of pieces of anchors, their case and quote
// variants (a removed byte on either side of a key letter), the letters
// the scan keys on and the bytes around them in ordinary paths.
func TestAnchorsMatchDefinition(t *testing.T) {
	pieces := []string{" ", "\"", "'", "^", "`", "w", "W", "y", "Y", "q", "k", "K", "b", "B", "s", "o", "\xe2\x80\x93", "\xff",
		`C:\Windows\System32\`, "-k netsvcs"}
	for _, anchor := range bitsAnchors {
		s := string(anchor)
		pieces = append(pieces, s, s[:len(s)/2], s[len(s)/2:], string(bytes.ToUpper(anchor)), s[:1]+"^"+s[1:], s[:len(s)-1]+`"'`+s[len(s)-1:])
	}
	rng := rand.New(rand.NewPCG(1197, 4))
	counts := map[textAnchors]int{}
	for range 50000 {
		var text []byte
		for range rng.IntN(8) {
			text = append(text, pieces[rng.IntN(len(pieces))]...)
		}
		want := naiveAnchors(text)
		counts[want]++
		if got := anchors(text); got != want {
			t.Fatalf("anchors(%q) = %b, want %b", text, got, want)
		}
		if got := holdsAnchor(text); got != (want != 0) {
			t.Fatalf("holdsAnchor(%q) = %v, want %v", text, got, want != 0)
		}
	}
	for _, w := range []textAnchors{0, anchorAny, anchorAny | anchorScript} {
		if counts[w] < 1000 {
			t.Errorf("%d texts gave %b: the test does not cover it", counts[w], w)
		}
	}
}

// FuzzAnchorsMatchDefinition: on any text, anchors and holdsAnchor answer
// as their definition.
func FuzzAnchorsMatchDefinition(f *testing.F) {
	for _, s := range []string{"bits", "Po^wer\"She'll", "x4991D34b", "sql`toolsps", "pw\"sh", "C:\\Windows\\System32\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		want := naiveAnchors(text)
		if got := anchors(text); got != want {
			t.Fatalf("anchors(%q) = %b, want %b", text, got, want)
		}
		if got := holdsAnchor(text); got != (want != 0) {
			t.Fatalf("holdsAnchor(%q) = %v, want %v", text, got, want != 0)
		}
	})
}
