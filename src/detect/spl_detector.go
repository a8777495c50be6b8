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
	// memo remembers the flags of recent CommandLine values.
	memo *lineMemo
	// longLine is the length from which a value's ExternalDownload is
	// decided apart, by hasExternalDownload (longCommandLine; tests lower
	// it to prove both ways equal).
	longLine int
	// digit[k] is the single value "k"; the flags and the score point here.
	digit [6]Values
	// empty is the single empty value coalesce(..., "") yields.
	empty Values
	// flags are the last Score's flags: its verdict. The flags decide every
	// output but CommandLine and Image, the score included.
	flags splFlag

	// Detectors are made one per goroutine, one after the other, and each
	// writes flags for every event: without this the next detector's first
	// bytes could share flags' cache line, and the goroutines would evict
	// each other's copy of it on every event.
	_ [128]byte
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
func NewSPL() Detector { return newSPL(memoSlots, memoArenaSize) }

// newSPL is NewSPL with a memo of the given sizes, so tests can make one
// small enough to fill.
func newSPL(memoSlots, memoArenaSize int) *splDetector {
	d := &splDetector{inputs: splInputs(), outputs: splOutputs(), memo: newLineMemo(memoSlots, memoArenaSize), longLine: longCommandLine}
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
		flags |= d.commandLineFlags(v)
	}

	out[outCommandLine] = commandLine
	out[outImage] = image
	for i := range 8 {
		out[outFirstFlag+i] = d.digit[flags>>i&1]
	}
	out[outSuspicionScore] = d.digit[bits.OnesCount8(uint8(flags&flagsScored))]
	d.flags = flags
}

// commandLineFlags decides the flags one CommandLine value sets, from the
// memo when the value was seen lately.
func (d *splDetector) commandLineFlags(v []byte) splFlag {
	f, hash, ok := d.memo.lookup(v)
	if ok {
		return f
	}
	// A short value decides ExternalDownload in the scan, for free; a long
	// one apart, from each line's end, so that a line of thousands of
	// "http://" costs no more than a plain one (see hasExternalDownload).
	short := len(v) < d.longLine
	f, nonASCII := scanCommandLine(v, short)
	if nonASCII {
		// ASCII folding is lower() only on ASCII; rescan the real
		// lower(v) for the lower() rules. ExternalDownload reads v itself.
		d.lowered = appendLowerUnicode(d.lowered[:0], v)
		lowered, _ := scanCommandLine(d.lowered, false)
		f = f&flagExternalDownload | lowered&flagsLowered
	}
	if !short && hasExternalDownload(v) {
		f |= flagExternalDownload
	}
	d.memo.remember(v, hash, f)
	return f
}

// longCommandLine is the length from which ExternalDownload is decided
// apart from the scan. Short values are most values, and for them one scan
// for everything is cheapest: the separate searches cost more in setting
// up than they save.
const longCommandLine = 4 << 10

func (d *splDetector) Verdicts() int { return 1 << 8 }
func (d *splDetector) Verdict() int  { return int(d.flags) }

// ForgetVerdicts does nothing: the flags are the verdict, whatever came
// before.
func (d *splDetector) ForgetVerdicts() {}

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

// longestImageSuffix is the most bytes of an ASCII Image the rules read
// from its end: "powershell.exe".
const longestImageSuffix = len("powershell.exe")

func imageFlagsAt(v []byte) splFlag {
	if isASCII(v[max(len(v)-longestImageSuffix, 0):]) {
		return imageFlagsASCII(v)
	}
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

// imageFlagsASCII is imageFlagsAt for an Image whose last
// longestImageSuffix bytes are ASCII: there each rune is one byte, and
// Unicode case folding of an ASCII rune against an ASCII letter is ASCII
// case folding, so byte-wise comparisons decide the same. It looks at the
// byte before ".exe" first: "bitsadmin", "powershell" and "pwsh" end in
// 'n', 'l' and 'h', so most names are ruled out by one byte.
func imageFlagsASCII(v []byte) splFlag {
	n := len(v)
	if n < 5 || v[n-4] != '.' || !hasPrefixFold(v[n-3:], "exe") {
		return 0
	}
	name := v[:n-4]
	switch asciiLower[name[len(name)-1]] {
	case 'n':
		if hasSuffixFold(name, "bitsadmin") {
			return flagIsBitsAdmin
		}
	case 'l':
		if hasSuffixFold(name, "powershell") {
			return flagIsPowerShell
		}
	case 'h':
		if hasSuffixFold(name, "pwsh") {
			return flagIsPowerShell
		}
	}
	return 0
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
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

// scanCommandLine decides, in one pass over one CommandLine value s, the
// five lower() rules on the ASCII lowercase of s and, when external is
// set, ExternalDownload on s itself. nonASCII reports a byte >= 0x80:
// ASCII lowercase may then differ from SPL's lower() and the caller must
// rescan lower(s) for those rules.
//
// The lower() rules are literal searches (docs/semantics.md): every needle
// holds one of '/', '\\', '-', '.', so the pass visits only those bytes
// (found eight at a time by triggerMask), drops those whose next byte
// starts no needle (followerClass), and compares the needle around the
// rest under ASCII case folding. Every needle is ASCII and a multi-byte
// UTF-8 sequence holds no ASCII byte, so on lowered text this byte-wise
// search finds exactly the rune-wise matches.
//
// ExternalDownload: a match of `https?://` ending at q fails the lookahead
// exactly when ".microsoft.com", ".windowsupdate.com" or ".windows.com"
// starts in s[q:end of q's line] (`.` stops only at '\n'; `.*` may match
// nothing). A later `https?://` on the same line sees a suffix of an
// earlier one's rest, so the regex matches iff on some line the last
// `https?://` has no domain starting at or after its end. Matches never
// overlap: "http://" and "https://" hold one 'h', their first byte. So the
// pass also visits ':' and '\n' and keeps, per line, the end of the last
// scheme and the start of the last domain. Without external it visits
// neither, and sets no ExternalDownload.
func scanCommandLine(s []byte, external bool) (f splFlag, nonASCII bool) {
	lastSchemeEnd, lastDomainStart := -1, -1
	var word [8]byte
	for base := 0; base < len(s); base += 8 {
		var w uint64
		if base+8 <= len(s) {
			w = binary.LittleEndian.Uint64(s[base:])
		} else {
			// Pad the tail with NULs, which are no trigger.
			word = [8]byte{}
			copy(word[:], s[base:])
			w = binary.LittleEndian.Uint64(word[:])
		}
		var m uint64
		switch {
		case w&highBits != 0:
			nonASCII = true
			m = triggerMaskBytewise(w, external)
		case external:
			m = triggerMask(w)
		default:
			m = lowerTriggerMask(w)
		}
		for ; m != 0; m &= m - 1 {
			i := base + bits.TrailingZeros64(m)>>3
			c := s[i]
			// Most triggers are path separators and dots that start no
			// needle: reject them by the byte that follows.
			if c != '\n' && (i+1 == len(s) || canFollow[s[i+1]]&followerClass[c] == 0) {
				continue
			}
			switch c {
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
				if external && isMicrosoftDomainAt(s[i+1:]) {
					lastDomainStart = i
				}
			case ':':
				if hasPrefix(s[i+1:], "//") && (hasSuffix(s[:i], "http") || hasSuffix(s[:i], "https")) {
					lastSchemeEnd = i + 3
				}
			case '\n':
				if lastSchemeEnd >= 0 && lastDomainStart < lastSchemeEnd {
					f |= flagExternalDownload
				}
				lastSchemeEnd, lastDomainStart = -1, -1
			}
		}
	}
	if lastSchemeEnd >= 0 && lastDomainStart < lastSchemeEnd {
		f |= flagExternalDownload
	}
	return f, nonASCII
}

// hasExternalDownload decides ExternalDownload on s as scanCommandLine
// does (see the argument there), but from each line's end: there the last
// `https?://` of the line is found at once, by walking back over its
// ':'s, and only what follows it is searched for the domains. A line of
// thousands of "http://" then costs no more than a plain one, where the
// scan would check every scheme. Each byte is read a bounded number of
// times: by the forward search for a line's first "://", the searches for
// its ends, the walk back to its last match and the walk over the rest.
func hasExternalDownload(s []byte) bool {
	for len(s) > 0 {
		first := bytes.Index(s, schemeSeparator)
		if first < 0 {
			return false
		}
		lineStart := bytes.LastIndexByte(s[:first], '\n') + 1
		line := s[lineStart:]
		if n := bytes.IndexByte(line, '\n'); n >= 0 {
			line = line[:n]
		}
		if lastSchemeHasNoDomain(line) {
			return true
		}
		s = s[lineStart+len(line):]
	}
	return false
}

var schemeSeparator = []byte("://")

// lastSchemeHasNoDomain reports whether line holds a `https?://` and no
// Microsoft domain starts at or after the end of its last one.
func lastSchemeHasNoDomain(line []byte) bool {
	for end := len(line); ; {
		i := bytes.LastIndexByte(line[:end], ':')
		if i < 0 {
			return false
		}
		if hasPrefix(line[i+1:], "//") && (hasSuffix(line[:i], "http") || hasSuffix(line[:i], "https")) {
			rest := line[i+3:]
			for {
				k := bytes.IndexByte(rest, '.')
				if k < 0 {
					return true
				}
				if isMicrosoftDomainAt(rest[k+1:]) {
					return false
				}
				rest = rest[k+1:]
			}
		}
		end = i
	}
}

// followerClass[t] is the class of the bytes that can follow trigger t in
// a needle, and canFollow[c] the set of classes c is in (read-only tables). A needle is never
// at a trigger without a following byte ('\n', which is no needle, aside).
var followerClass, canFollow = func() (class, follows [256]uint8) {
	add := func(trigger byte, bit uint8, followers string, foldCase bool) {
		class[trigger] = bit
		for _, c := range []byte(followers) {
			follows[c] |= bit
			if foldCase {
				follows[c-'a'+'A'] |= bit
			}
		}
	}
	add('/', 1<<0, "star", true)     // /setnotify…, /transfer, /addfile, /reset
	add('-', 1<<1, "b", true)        // -bitstransfer, -bitsfile
	add('\\', 1<<2, "aupwt", true)   // \appdata\, \users\, \programdata\, \windows\, (c:)\temp\
	add('.', 1<<3, "edpbcvjh", true) // extensions
	add('.', 1<<3, "mw", false)      // .microsoft.com, .windows….com (case-sensitive)
	add(':', 1<<4, "/", false)       // ://
	return class, follows
}()

const (
	highBits = 0x8080808080808080
	lowBits  = 0x7f7f7f7f7f7f7f7f
	oneBytes = 0x0101010101010101
)

// triggerMask sets the top bit of each byte of w (all ASCII) that is '-',
// '.', '/' (0x2d..0x2f), '\\', ':' or '\n'. With every byte below 0x80,
// adding 0x53 sets a byte's top bit iff it is >= 0x2d and adding 0x50 iff
// >= 0x30; x+0x7f sets it iff x != 0; no carry crosses a byte.
func triggerMask(w uint64) uint64 {
	inDashToSlash := (w + 0x53*oneBytes) &^ (w + 0x50*oneBytes)
	noneEqual := ((w ^ '\\'*oneBytes) + lowBits) & ((w ^ ':'*oneBytes) + lowBits) & ((w ^ '\n'*oneBytes) + lowBits)
	return (inDashToSlash | ^noneEqual) & highBits
}

// lowerTriggerMask is triggerMask without ':' and '\n', which only
// ExternalDownload needs.
func lowerTriggerMask(w uint64) uint64 {
	inDashToSlash := (w + 0x53*oneBytes) &^ (w + 0x50*oneBytes)
	notBackslash := (w ^ '\\'*oneBytes) + lowBits
	return (inDashToSlash | ^notBackslash) & highBits
}

// triggerMaskBytewise is triggerMask (or, without external,
// lowerTriggerMask) for a word holding non-ASCII bytes, where the
// arithmetic above would carry between bytes.
func triggerMaskBytewise(w uint64, external bool) uint64 {
	var m uint64
	for k := 0; k < 8; k++ {
		switch byte(w >> (8 * k)) {
		case '-', '.', '/', '\\':
			m |= 0x80 << (8 * k)
		case ':', '\n':
			if external {
				m |= 0x80 << (8 * k)
			}
		}
	}
	return m
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

// isMicrosoftDomainAt reports whether rest, the bytes after a '.', starts
// with "microsoft.com", "windowsupdate.com" or "windows.com" (case-sensitive,
// as the SPL).
func isMicrosoftDomainAt(rest []byte) bool {
	if len(rest) == 0 {
		return false
	}
	switch rest[0] {
	case 'm':
		return hasPrefix(rest, "microsoft.com")
	case 'w':
		return hasPrefix(rest, "windows") && (hasPrefix(rest[7:], ".com") || hasPrefix(rest[7:], "update.com"))
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
