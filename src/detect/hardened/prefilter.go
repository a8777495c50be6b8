package hardened

import (
	"bytes"
	"math/bits"
)

// bitsAnchors are words one of which every text that yields a fact
// contains once normalised (quotes, carets and backticks removed, ASCII
// lowercased): bitsadmin, the BITS cmdlets, bits.manager ("bits"); the
// PowerShell family, whose -EncodedCommand is decoded ("powershell",
// "pwsh", "sqlps", "sqltoolsps"); desktopimgdownldr; the COM interfaces
// and CLSID; the COM method SetNotifyCmdLine. A text with none of them
// cannot use BITS, and most process command lines are such texts.
var bitsAnchors = [][]byte{
	[]byte("bits"), []byte("backgroundcopy"), []byte("4991d34b"), []byte("setnotifycmdline"),
	[]byte("powershell"), []byte("pwsh"), []byte("sqlps"), []byte("sqltoolsps"), []byte("desktopimgdownldr"),
}

// scriptAnchors is how many of bitsAnchors, from the first, name the BITS
// cmdlets and COM API: without one of them cmdlets has nothing to find.
const scriptAnchors = 4

// keptByte is 0 for the bytes tokenize removes (`bits^admin` is
// bitsadmin), 1 for the others.
var keptByte = func() (t [256]uint8) {
	for c := range t {
		t[c] = 1
	}
	for _, c := range []byte{'"', '\'', '^', '`'} {
		t[c] = 0
	}
	return t
}()

// textAnchors says which anchors a text holds.
type textAnchors uint8

const (
	anchorAny    textAnchors = 1 << iota // some anchor
	anchorScript                         // a BITS cmdlet or COM anchor
)

// anchors reports which of bitsAnchors text holds, normalised as tokenize
// does: none means commandText would find nothing.
func anchors(text []byte) textAnchors { return scanAnchors(text, false) }

// holdsAnchor reports whether text holds one of bitsAnchors, normalised
// as tokenize does: anchors(text) != 0, found sooner.
func holdsAnchor(text []byte) bool { return scanAnchors(text, true) != 0 }

// scanAnchors reports which anchors text holds, normalised as tokenize
// does; firstOnly stops at the first anchor, which then need not be a
// script one. It reads text in place, with nothing copied or folded: one
// pass looks each byte up in anchorsKeyedOn, eight at a time, for the
// anchors' key letters (letters ordinary command lines hold rarely, in
// either case); at a key letter, the bytes on either side rule out most
// anchors at once (anchorsBefore, anchorsAfter), and the rest are matched
// around the key over the bytes tokenize keeps, stepping over those it
// removes (anchorAt).
//
// Each match reads at most the anchor's letters and the removed bytes
// between them; a removed byte lies between two kept ones, so it is read
// by at most the matches from the few key letters within an anchor's
// length of it: the cost stays linear in text.
func scanAnchors(text []byte, firstOnly bool) textAnchors {
	var found textAnchors
	k := &anchorsKeyedOn
	i := 0
	for ; i+8 <= len(text); i += 8 {
		w := text[i : i+8 : i+8]
		if k[w[0]]|k[w[1]]|k[w[2]]|k[w[3]]|k[w[4]]|k[w[5]]|k[w[6]]|k[w[7]] == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if k[text[j]] != 0 && anchorAround(text, j) {
				found |= anchorAny | anchorsKind(text[j])
				if firstOnly || found&anchorScript != 0 {
					return found
				}
			}
		}
	}
	for ; i < len(text); i++ {
		if k[text[i]] != 0 && anchorAround(text, i) {
			found |= anchorAny | anchorsKind(text[i])
			if firstOnly || found&anchorScript != 0 {
				return found
			}
		}
	}
	return found
}

// anchorsKind is anchorScript for a key letter of the script anchors
// (those share no key letter with the others), else 0.
func anchorsKind(key byte) textAnchors {
	if anchorsKeyedOn[key]&(1<<scriptAnchors-1) != 0 {
		return anchorScript
	}
	return 0
}

// anchorAround reports whether an anchor keyed on the letter text[i] lies
// around it.
func anchorAround(text []byte, i int) bool {
	m := anchorsKeyedOn[text[i]]
	if i > 0 {
		m &= anchorsBefore[text[i-1]]
	} else {
		m &= anchorsAtStart
	}
	if i+1 < len(text) {
		m &= anchorsAfter[text[i+1]]
	} else {
		m &= anchorsAtEnd
	}
	for ; m != 0; m &= m - 1 {
		a := bits.TrailingZeros16(m)
		if anchorAt(text, i, bitsAnchors[a], anchorKeyOffset[a]) {
			return true
		}
	}
	return false
}

// anchorKeyLetters are the anchors' key letters, in bitsAnchors order:
// letters ordinary command lines hold rarely, so that the scan stops
// seldom, instead of at every common first letter ('s', 'p', 'd'). The
// script anchors are keyed on letters of their own.
const anchorKeyLetters = "bbbywwqqk"

// Sets of bitsAnchors, bit i for bitsAnchors[i], that scanAnchors reads:
// the anchors keyed on a byte (its key letter, in either case); those a
// byte may stand before or after the key of (the anchor's letter there, in
// either case, any byte where the key starts or ends the anchor, and the
// bytes tokenize removes, which may stand anywhere); those whose key starts
// or ends them, which may stand at the start or end of a text.
var (
	anchorsKeyedOn, anchorsBefore, anchorsAfter [256]uint16
	anchorsAtStart, anchorsAtEnd                uint16
	anchorKeyOffset                             [len(anchorKeyLetters)]int
)

func init() {
	for i, anchor := range bitsAnchors {
		bit := uint16(1) << i
		at := bytes.IndexByte(anchor, anchorKeyLetters[i])
		anchorKeyOffset[i] = at
		anchorsKeyedOn[anchor[at]] |= bit
		anchorsKeyedOn[foldCase(anchor[at])] |= bit
		for c := range 256 {
			if keptByte[c] == 0 || at == 0 {
				anchorsBefore[c] |= bit
			}
			if keptByte[c] == 0 || at == len(anchor)-1 {
				anchorsAfter[c] |= bit
			}
		}
		if at > 0 {
			anchorsBefore[anchor[at-1]] |= bit
			anchorsBefore[foldCase(anchor[at-1])] |= bit
		} else {
			anchorsAtStart |= bit
		}
		if at < len(anchor)-1 {
			anchorsAfter[anchor[at+1]] |= bit
			anchorsAfter[foldCase(anchor[at+1])] |= bit
		} else {
			anchorsAtEnd |= bit
		}
	}
}

// foldCase returns an ASCII letter in the other case, any other byte as it
// is.
func foldCase(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z':
		return c - ('a' - 'A')
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	}
	return c
}

// anchorAt reports whether anchor, whose letter at offset is text[i],
// lies around text[i] once the bytes tokenize removes are left out and
// ASCII is lowercased.
func anchorAt(text []byte, i int, anchor []byte, offset int) bool {
	j := i
	for p := offset - 1; p >= 0; p-- {
		j--
		for j >= 0 && keptByte[text[j]] == 0 {
			j--
		}
		if j < 0 || lowerASCII(text[j]) != anchor[p] {
			return false
		}
	}
	j = i
	for p := offset + 1; p < len(anchor); p++ {
		j++
		for j < len(text) && keptByte[text[j]] == 0 {
			j++
		}
		if j >= len(text) || lowerASCII(text[j]) != anchor[p] {
			return false
		}
	}
	return true
}
