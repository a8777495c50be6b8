package hardened

import (
	"bytes"
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

// anchorKeys find the anchors fast: each anchor is searched at the
// occurrences of one of its letters that ordinary command lines hold
// rarely, so a text is swept by a handful of memchr-speed searches that
// stop seldom, instead of one search per anchor stopping at every common
// first letter ('s', 'p', 'd').
var anchorKeys = func() []anchorKey {
	keyOf := []byte{'b', 'b', 'b', 'y', 'w', 'w', 'q', 'q', 'k'}
	var keys []anchorKey
	for i, anchor := range bitsAnchors {
		at := bytes.IndexByte(anchor, keyOf[i])
		k := len(keys) - 1
		if k < 0 || keys[k].key != keyOf[i] {
			keys = append(keys, anchorKey{key: keyOf[i]})
			k++
		}
		keys[k].anchors = append(keys[k].anchors, keyedAnchor{index: i, offset: at})
	}
	return keys
}()

type anchorKey struct {
	key     byte
	anchors []keyedAnchor
}

// keyedAnchor is bitsAnchors[index], whose key letter is at offset.
type keyedAnchor struct{ index, offset int }

// foldTable is the anchors' normalisation of one byte: ASCII lowercase,
// keptByte says which bytes tokenize removes.
var foldTable = func() (t [256]byte) {
	for c := range t {
		t[c] = lowerASCII(byte(c))
	}
	return t
}()

// keptByte is 0 for the bytes tokenize removes (`bits^admin` is
// bitsadmin), 1 for the others: added to the fold's length, it keeps the
// loop free of a branch the CPU would mispredict on every quote.
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
// does: none means commandText would find nothing. It costs one pass to
// fold the text and a memchr-speed search per key letter.
func (a *analysis) anchors(text []byte) textAnchors {
	folded := a.fold[:0]
	if cap(folded) < len(text) {
		folded = make([]byte, 0, len(text))
	}
	folded = folded[:len(text)]
	n := 0
	for _, c := range text {
		folded[n] = foldTable[c]
		n += int(keptByte[c])
	}
	folded = folded[:n]
	a.fold = folded
	var found textAnchors
	for _, k := range anchorKeys {
		for from := 0; ; {
			i := bytes.IndexByte(folded[from:], k.key)
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			for _, ka := range k.anchors {
				start := i - ka.offset
				if start < 0 || !bytes.HasPrefix(folded[start:], bitsAnchors[ka.index]) {
					continue
				}
				if ka.index < scriptAnchors {
					return anchorAny | anchorScript
				}
				found = anchorAny
			}
		}
	}
	return found
}
