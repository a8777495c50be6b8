package hardened

import (
	"bytes"
	"slices"
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

// textAnchors says which anchors a text holds.
type textAnchors uint8

const (
	anchorAny    textAnchors = 1 << iota // some anchor
	anchorScript                         // a BITS cmdlet or COM anchor
)

// anchors reports which of bitsAnchors text holds, normalised as tokenize
// does: none means commandText would find nothing. It costs one pass to
// fold the text and a memchr-speed search per anchor.
func (a *analysis) anchors(text []byte) textAnchors {
	folded := slices.Grow(a.fold[:0], len(text))[:len(text)]
	n := 0
	for _, c := range text {
		if c == '"' || c == '\'' || c == '^' || c == '`' {
			continue // removed by tokenize: `bits^admin` is bitsadmin
		}
		folded[n] = lowerASCII(c)
		n++
	}
	folded = folded[:n]
	a.fold = folded
	for i, anchor := range bitsAnchors {
		if bytes.Contains(folded, anchor) {
			if i < scriptAnchors {
				return anchorAny | anchorScript
			}
			return anchorAny // the script anchors, searched first, are absent
		}
	}
	return 0
}
