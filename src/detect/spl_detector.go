package detect

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// splFlag is one bit per SPLRules entry, in SPLRules order, so bit i is
// output outFirstFlag+i.
type splFlag uint8

const (
	flagIsBitsAdmin splFlag = 1 << iota
	flagIsPowerShell
	flagHasNotify
	flagHasTransfer
	flagHasReset
	flagSuspiciousDest
	flagSuspiciousExt
	flagExternalDownload

	// flagsScored are the flags SuspicionScore sums (HasReset is not one).
	flagsScored = flagHasNotify | flagHasTransfer | flagSuspiciousDest | flagSuspiciousExt | flagExternalDownload
	// flagsLowered are decided on lower(CommandLine).
	flagsLowered = flagHasNotify | flagHasTransfer | flagHasReset | flagSuspiciousDest | flagSuspiciousExt
)

// splDetector is NewSPL's Detector: the original search's evals, value for
// value, without regexes. Each flag is the literal search the regex reduces
// to (see docs/semantics.md); splReference is the proof obligation, checked
// by the differential tests and fuzzers.
type splDetector struct {
	inputs  []string
	outputs []string
	// lowered holds lower(value) of the CommandLine value being scored; it
	// is reused so steady-state scoring does not allocate.
	lowered []byte
	// digit[k] is the single value "k"; the flags and the score point here.
	digit [6]Values
	// empty is the single empty value coalesce(..., "") yields.
	empty Values
	// flags are the last Score's flags: its verdict. The flags decide every
	// output but CommandLine and Image, the score included.
	flags splFlag
}

// NewSPL returns the default detector: exactly the original SPL search's
// evals (docs/detection.md), defects included, in linear time and without
// allocating per event.
//
// Inputs: CommandLine, ProcessCommandLine, Image. Outputs: CommandLine =
// coalesce(CommandLine, ProcessCommandLine, "") and Image = coalesce(Image,
// ""), both passed through (multivalue kept), then the flags IsBitsAdmin,
// IsPowerShell, HasNotify, HasTransfer, HasReset, SuspiciousDest,
// SuspiciousExt, ExternalDownload as "0"/"1", then SuspicionScore "0".."5".
func NewSPL() Detector {
	d := &splDetector{inputs: splInputs(), outputs: splOutputs()}
	digits := []byte("012345")
	for k := range d.digit {
		// Capacity 1: a caller appending to one value cannot overwrite the next.
		d.digit[k] = Values{digits[k : k+1 : k+1]}
	}
	d.empty = Values{digits[0:0:0]}
	return d
}

func (d *splDetector) Inputs() []string  { return d.inputs }
func (d *splDetector) Outputs() []string { return d.outputs }

func (d *splDetector) Score(in, out []Values) {
	commandLine := coalesceSPL(d.empty, in[inCommandLine], in[inProcessCommandLine])
	image := coalesceSPL(d.empty, in[inImage])

	var flags splFlag
	for _, v := range image {
		flags |= imageFlags(v)
	}
	for _, v := range commandLine {
		f, rescan := scanLowerRules(v, flags)
		if rescan {
			// ASCII folding is lower() only on ASCII; scan the real
			// lower(v) for the lower() rules still unset.
			d.lowered = appendLowerUnicode(d.lowered[:0], v)
			f, _ = scanLowerRules(d.lowered, f)
		}
		flags |= f
		if flags&flagExternalDownload == 0 && hasExternalDownload(v) {
			flags |= flagExternalDownload
		}
	}

	out[outCommandLine] = commandLine
	out[outImage] = image
	for i := range 8 {
		out[outFirstFlag+i] = d.digit[flags>>i&1]
	}
	out[outSuspicionScore] = d.digit[bits.OnesCount8(uint8(flags&flagsScored))]
	d.flags = flags
}

func (d *splDetector) Verdicts() int { return 1 << 8 }
func (d *splDetector) Verdict() int  { return int(d.flags) }

// appendLowerUnicode appends SPL's lower(src): unicode.ToLower per rune
// (simple mapping, so U+0130 'İ' becomes 'i' and U+212A Kelvin 'k'). An
// invalid byte is copied as is: like the U+FFFD the reference sees there, it
// is a non-ASCII character that no SPL pattern can match, and copying it
// keeps every ASCII byte where the pattern search expects it.
func appendLowerUnicode(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		i += size
	}
	return dst
}

// imageFlags decides `(?i)bitsadmin\.exe$` and `(?i)(powershell|pwsh)\.exe$`
// on one Image value: case-folded suffix tests at the end and, when v ends
// with '\n', before it (PCRE2's `$` without multiline).
func imageFlags(v []byte) splFlag {
	f := imageFlagsAt(v)
	if n := len(v); n > 0 && v[n-1] == '\n' {
		f |= imageFlagsAt(v[:n-1])
	}
	return f
}

func imageFlagsAt(v []byte) splFlag {
	name, ok := trimSuffixUnicodeFold(v, ".exe")
	if !ok {
		return 0
	}
	var f splFlag
	if _, ok := trimSuffixUnicodeFold(name, "bitsadmin"); ok {
		f |= flagIsBitsAdmin
	}
	if _, ok := trimSuffixUnicodeFold(name, "powershell"); ok {
		f |= flagIsPowerShell
	} else if _, ok := trimSuffixUnicodeFold(name, "pwsh"); ok {
		f |= flagIsPowerShell
	}
	return f
}

// trimSuffixUnicodeFold reports whether v ends with suffix (lowercase
// ASCII) under Unicode simple case folding, comparing runes from the end as
// the regex's (?i) does: 'ſ' (2 bytes) matches 's', U+212A (3 bytes) 'k'.
// head is v without that suffix. An invalid byte decodes as U+FFFD, which
// folds to no ASCII byte.
func trimSuffixUnicodeFold(v []byte, suffix string) (head []byte, ok bool) {
	k := len(v)
	for j := len(suffix) - 1; j >= 0; j-- {
		if k == 0 {
			return nil, false
		}
		if c := v[k-1]; c < utf8.RuneSelf {
			if asciiLower[c] != suffix[j] {
				return nil, false
			}
			k--
			continue
		}
		r, size := utf8.DecodeLastRune(v[:k])
		if !foldsTo(r, rune(suffix[j])) {
			return nil, false
		}
		k -= size
	}
	return v[:k], true
}

// foldsTo reports whether want is in r's simple case-folding orbit, the
// equivalence strings.EqualFold and the regex's (?i) use.
func foldsTo(r, want rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == want {
			return true
		}
	}
	return false
}

// scanLowerRules decides the five lower() rules on the ASCII lowercase of
// s. decided holds flags already known (from the Image or an earlier value
// of a multivalue field): their needles are not looked for again, and f
// includes them. rescan reports that s holds a byte >= 0x80 and some lower()
// flag is still unset: ASCII folding may then differ from SPL's lower(), and
// the caller must scan lower(s) too. Needles are ASCII, and lower() keeps
// every ASCII byte of s and every run of adjacent ASCII bytes (it only
// rewrites non-ASCII runes), so a needle found here is in lower(s) as well:
// the flags found here need no rescan.
//
// The rules are literal searches (docs/semantics.md): every needle holds
// one of '/', '\', '-', '.', its trigger, followed by at least one byte.
// The pass finds triggers eight at a time (triggerMask), drops those whose
// next byte starts no needle still pending (needlesAt, needlesFollowedBy),
// and compares the needle around the rest under ASCII case folding. Every
// needle is ASCII and a multi-byte UTF-8 sequence holds no ASCII byte, so on
// lowered text this byte-wise search finds exactly the rune-wise matches.
func scanLowerRules(s []byte, decided splFlag) (f splFlag, rescan bool) {
	f = decided & flagsLowered
	pending := pendingNeedles(f)
	nonASCII := false
	var tail [16]byte
	for base := 0; base < len(s) && pending != 0; base += 8 {
		// w holds s[base:base+8] and next the byte after each of them,
		// s[base+1:base+9]. Past the end both read NULs: no trigger, and
		// no needle byte, so a trigger in the last byte of s is dropped.
		var w, next uint64
		if base+9 <= len(s) {
			w = binary.LittleEndian.Uint64(s[base:])
			next = binary.LittleEndian.Uint64(s[base+1:])
		} else {
			tail = [16]byte{}
			copy(tail[:], s[base:])
			w = binary.LittleEndian.Uint64(tail[:])
			next = binary.LittleEndian.Uint64(tail[1:])
		}
		var m uint64
		if w&highBits == 0 {
			m = triggerMask(w)
		} else {
			nonASCII = true
			m = triggerMaskBytewise(w)
		}
		for ; m != 0; m &= m - 1 {
			// shift is the bit offset of the trigger's byte in w and of its
			// follower in next; both come from registers, not from s.
			shift := bits.TrailingZeros64(m) &^ 7
			trigger, follower := byte(w>>shift), byte(next>>shift)
			// Most triggers are path separators, dots and dashes that start
			// no pending needle: drop them by the byte that follows.
			if needlesAt[trigger]&needlesFollowedBy[follower]&pending == 0 {
				continue
			}
			i := base + shift>>3
			switch trigger {
			case '/':
				f |= slashFlags(s[i+1:])
			case '-':
				if rest, before := s[i+1:], s[:i]; hasPrefixFold(rest, "bits") &&
					(hasPrefixFold(rest[4:], "transfer") && (hasSuffixFold(before, "start") || hasSuffixFold(before, "new")) ||
						hasPrefixFold(rest[4:], "file") && hasSuffixFold(before, "add")) {
					f |= flagHasTransfer
				}
			case '\\':
				if isSuspiciousDestAt(s, i) {
					f |= flagSuspiciousDest
				}
			case '.':
				if hasSuspiciousExtAt(s, i+1) {
					f |= flagSuspiciousExt
				}
			}
			pending = pendingNeedles(f)
		}
	}
	// pending == 0 may have stopped the pass early, but then no flag is
	// left for lower(s) to add; otherwise nonASCII saw every byte.
	return f, nonASCII && pending != 0
}

// needle groups: one bit per trigger and set of following bytes that starts
// a needle, so that a decided flag can retire the groups that only serve it.
const (
	needleSlashNotify   uint8 = 1 << iota // /setnotify…
	needleSlashTransfer                   // /transfer, /addfile
	needleSlashReset                      // /reset
	needleDashTransfer                    // -bitstransfer, -bitsfile
	needleBackslashDest                   // \appdata\, \users\, \programdata\, \windows\, (c:)\temp\
	needleDotExt                          // .exe, .dll, .ps1, .bat, .cmd, .vbs, .js, .hta
)

// pendingNeedles are the needle groups whose flag f does not hold yet: once
// a flag is set, finding its needles again cannot change the result.
func pendingNeedles(f splFlag) uint8 {
	var pending uint8
	if f&flagHasNotify == 0 {
		pending |= needleSlashNotify
	}
	if f&flagHasTransfer == 0 {
		pending |= needleSlashTransfer | needleDashTransfer
	}
	if f&flagHasReset == 0 {
		pending |= needleSlashReset
	}
	if f&flagSuspiciousDest == 0 {
		pending |= needleBackslashDest
	}
	if f&flagSuspiciousExt == 0 {
		pending |= needleDotExt
	}
	return pending
}

// needlesAt[t] are the needle groups trigger t starts, and
// needlesFollowedBy[c] the groups whose second byte can be c, either case
// (read-only tables). A byte that is no trigger, and NUL, are in no group.
var needlesAt, needlesFollowedBy = func() (at, followedBy [256]uint8) {
	add := func(trigger byte, group uint8, followers string) {
		at[trigger] |= group
		for _, c := range []byte(followers) {
			followedBy[c] |= group
			followedBy[c-'a'+'A'] |= group
		}
	}
	add('/', needleSlashNotify, "s")
	add('/', needleSlashTransfer, "ta")
	add('/', needleSlashReset, "r")
	add('-', needleDashTransfer, "b")
	add('\\', needleBackslashDest, "aupwt")
	add('.', needleDotExt, "edpbcvjh")
	return at, followedBy
}()

const (
	highBits = 0x8080808080808080
	lowBits  = 0x7f7f7f7f7f7f7f7f
	oneBytes = 0x0101010101010101
)

// triggerMask sets the top bit of each byte of w (all ASCII) that is '-',
// '.', '/' (0x2d..0x2f) or '\\'. With every byte below 0x80, adding 0x53
// sets a byte's top bit iff it is >= 0x2d and adding 0x50 iff >= 0x30;
// x+0x7f sets it iff x != 0; no carry crosses a byte.
func triggerMask(w uint64) uint64 {
	inDashToSlash := (w + 0x53*oneBytes) &^ (w + 0x50*oneBytes)
	notBackslash := (w ^ '\\'*oneBytes) + lowBits
	return (inDashToSlash | ^notBackslash) & highBits
}

// triggerMaskBytewise is triggerMask for a word holding non-ASCII bytes,
// where the arithmetic above would carry between bytes.
func triggerMaskBytewise(w uint64) uint64 {
	var m uint64
	for k := 0; k < 8; k++ {
		switch byte(w >> (8 * k)) {
		case '-', '.', '/', '\\':
			m |= 0x80 << (8 * k)
		}
	}
	return m
}

// hasExternalDownload decides `https?://(?!(.*\.microsoft\.com|
// .*\.windowsupdate\.com|.*\.windows\.com))` on s itself: case-sensitive
// and not lowered, like the SPL.
//
// A match of `https?://` ending at q fails the lookahead exactly when
// ".microsoft.com", ".windowsupdate.com" or ".windows.com" starts in
// s[q:end of q's line] (`.` stops only at '\n'; `.*` may match nothing). All
// matches around one "://" end at the same q, so the regex matches iff some
// "://" preceded by "http" (which "https" ends with... or "https") ends a
// scheme with no domain starting in the rest of its line. The walk visits
// schemes by increasing q: if no domain starts in the rest of q's line, the
// regex matches; otherwise a domain starting at D there also fails every
// later scheme of the line that ends at or before D, and the next scheme
// that can succeed ends after D. Its ':' is then after D too, since a ':'
// at D-2, D-1 or D needs "//" over s[D], which is '.'; so the search for
// "://" resumes at D+1.
//
// Linear on any input: the "://", '\n' and ".com" searches each resume
// after what they already read (up to a needle's length), and each is a
// vectorized standard-library search. Most command lines hold no "://" and
// cost one bytes.Index.
func hasExternalDownload(s []byte) bool {
	lineEnd := -1 // the first '\n' at or after the current scheme's end, or len(s)
	for from := 0; ; {
		q := nextSchemeEnd(s, from)
		if q < 0 {
			return false
		}
		if q > lineEnd {
			// A new line: the cached '\n' precedes q. (q == lineEnd is a
			// scheme ending right before that '\n', on the same line.)
			lineEnd = q + indexByteOrLen(s[q:], '\n')
		}
		d := firstMicrosoftDomain(s[q:lineEnd])
		if d < 0 {
			return true
		}
		from = q + d + 1
	}
}

// nextSchemeEnd returns the end of the first match of `https?://` whose
// "://" starts at or after from, or -1. Its "http" may start before from:
// the regex may match anywhere.
func nextSchemeEnd(s []byte, from int) int {
	for from < len(s) {
		k := bytes.Index(s[from:], schemeSeparator)
		if k < 0 {
			return -1
		}
		colon := from + k
		if hasSuffix(s[:colon], "http") || hasSuffix(s[:colon], "https") {
			return colon + len(schemeSeparator)
		}
		from = colon + 1
	}
	return -1
}

var schemeSeparator = []byte("://") // read-only

// firstMicrosoftDomain returns where in rest the first ".microsoft.com",
// ".windowsupdate.com" or ".windows.com" starts, or -1. All three end in
// ".com" and their names end in different letters ('t', 'e', 's'), so at
// most one of them ends at any ".com"; one vectorized search for ".com"
// finds the candidates, in the order the domains start (none can start
// inside another: each holds '.' only before its name and before "com").
func firstMicrosoftDomain(rest []byte) int {
	for from := 0; ; {
		k := bytes.Index(rest[from:], dotCom)
		if k < 0 {
			return -1
		}
		dot := from + k
		for _, name := range [...]string{".microsoft", ".windowsupdate", ".windows"} {
			if hasSuffix(rest[:dot], name) {
				return dot - len(name)
			}
		}
		from = dot + 1
	}
}

var dotCom = []byte(".com") // read-only

// indexByteOrLen is bytes.IndexByte(s, c), or len(s) when s holds no c.
func indexByteOrLen(s []byte, c byte) int {
	if k := bytes.IndexByte(s, c); k >= 0 {
		return k
	}
	return len(s)
}

// slashFlags decides the needles that start with '/' given the bytes after it.
func slashFlags(rest []byte) splFlag {
	if len(rest) == 0 {
		return 0
	}
	switch asciiLower[rest[0]] {
	case 's':
		if hasPrefixFold(rest, "setnotify") && (hasPrefixFold(rest[9:], "cmdline") || hasPrefixFold(rest[9:], "flags")) {
			return flagHasNotify
		}
	case 't':
		if hasPrefixFold(rest, "transfer") {
			return flagHasTransfer
		}
	case 'a':
		if hasPrefixFold(rest, "addfile") {
			return flagHasTransfer
		}
	case 'r':
		if hasPrefixFold(rest, "reset") {
			return flagHasReset
		}
	}
	return 0
}

// isSuspiciousDestAt decides `\\appdata\\|\\users\\public\\|
// \\programdata\\|\\windows\\temp\\|c:\\temp\\` at the backslash s[i].
func isSuspiciousDestAt(s []byte, i int) bool {
	rest := s[i+1:]
	if len(rest) == 0 {
		return false
	}
	switch asciiLower[rest[0]] {
	case 'a':
		return hasPrefixFold(rest, `appdata\`)
	case 'u':
		return hasPrefixFold(rest, `users\public\`)
	case 'p':
		return hasPrefixFold(rest, `programdata\`)
	case 'w':
		return hasPrefixFold(rest, `windows\temp\`)
	case 't':
		return hasPrefixFold(rest, `temp\`) && hasSuffixFold(s[:i], "c:")
	}
	return false
}

// hasSuspiciousExtAt decides `(exe|dll|ps1|bat|cmd|vbs|js|hta)(\s|$|'|")`
// at s[at:] under ASCII case folding. `$` needs no case of its own: it
// matches only at the end or before a final '\n', and ASCII `\s` already
// accepts that '\n'.
func hasSuspiciousExtAt(s []byte, at int) bool {
	if at >= len(s) {
		return false
	}
	var ext string
	switch s[at] | 0x20 { // ASCII lowercase of a letter; no other byte here maps onto one
	case 'e':
		ext = "exe"
	case 'd':
		ext = "dll"
	case 'p':
		ext = "ps1"
	case 'b':
		ext = "bat"
	case 'c':
		ext = "cmd"
	case 'v':
		ext = "vbs"
	case 'j':
		ext = "js"
	case 'h':
		ext = "hta"
	default:
		return false
	}
	if !hasPrefixFold(s[at:], ext) {
		return false
	}
	end := at + len(ext)
	if end == len(s) {
		return true
	}
	switch s[end] {
	case '\t', '\n', '\v', '\f', '\r', ' ', '\'', '"':
		return true
	}
	return false
}

// asciiLower maps 'A'..'Z' to 'a'..'z' and every other byte to itself
// (a read-only table).
var asciiLower = func() (lower [256]byte) {
	for c := range lower {
		lower[c] = byte(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		lower[c] = byte(c) + 'a' - 'A'
	}
	return lower
}()

// hasPrefixFold reports whether s starts with prefix (lowercase ASCII)
// under ASCII case folding.
func hasPrefixFold(s []byte, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		if asciiLower[s[j]] != prefix[j] {
			return false
		}
	}
	return true
}

// hasSuffixFold reports whether s ends with suffix (lowercase ASCII) under
// ASCII case folding.
func hasSuffixFold(s []byte, suffix string) bool {
	if len(s) < len(suffix) {
		return false
	}
	return hasPrefixFold(s[len(s)-len(suffix):], suffix)
}

func hasPrefix(s []byte, prefix string) bool {
	return len(s) >= len(prefix) && string(s[:len(prefix)]) == prefix
}

func hasSuffix(s []byte, suffix string) bool {
	return len(s) >= len(suffix) && string(s[len(s)-len(suffix):]) == suffix
}
