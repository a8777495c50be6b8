package detect

import (
	"fmt"
	"strings"
)

// asciiSpaceClass is what PCRE2's `\s` matches when Splunk compiles without
// PCRE2_UCP: the C-locale isspace() set of its default character tables,
// HT LF VT FF CR and space. regexp2's `\s` is Unicode White_Space (it also
// matches U+0085, U+00A0, U+2000..., which PCRE2 here does not).
const asciiSpaceClass = `\t\n\x0B\f\r `

// translatePCRE2 rewrites a PCRE2 pattern, as Splunk's match() compiles it
// (UTF, caseless folding by Unicode, no UCP, no multiline), into the
// regexp2 default-mode pattern that matches the same strings.
//
// Only the constructs whose meaning is identical in both dialects pass
// unchanged: literals, escaped punctuation, \t \n \r \f, `.` (both exclude
// only '\n'), `$` (both: end, or before a final '\n'), groups, alternation,
// quantifiers, `(?i)` (both fold by Unicode simple case folding: 'ſ'~'s',
// U+212A~'k'), `(?:`, `(?=` and `(?!`. `\s` is translated to the ASCII set.
// Anything else (\w, \d, \b, \S, \h, other inline flags, ...) differs
// between the dialects in some corner and is rejected rather than guessed:
// a new rule that needs it must add a translation and a test.
func translatePCRE2(pattern string) (string, error) {
	var b strings.Builder
	b.Grow(len(pattern) + 16)
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\':
			if i+1 == len(pattern) {
				return "", fmt.Errorf("pattern %q: trailing backslash", pattern)
			}
			i++
			e := pattern[i]
			switch {
			case e == 's':
				if inClass {
					b.WriteString(asciiSpaceClass)
				} else {
					b.WriteString("[" + asciiSpaceClass + "]")
				}
			case e == 't' || e == 'n' || e == 'r' || e == 'f':
				b.WriteByte('\\')
				b.WriteByte(e)
			case e < 0x80 && !isASCIIAlphanumeric(e):
				// An escaped ASCII punctuation character is that literal
				// character in both dialects.
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				return "", fmt.Errorf("pattern %q: escape \\%c has no checked regexp2 translation", pattern, e)
			}
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			// `[]...]` and `[^]...]` differ between the dialects; refuse them.
			if strings.HasPrefix(pattern[i+1:], "]") || strings.HasPrefix(pattern[i+1:], "^]") {
				return "", fmt.Errorf("pattern %q: a class starting with ']' has no checked translation", pattern)
			}
			inClass = true
			b.WriteByte(c)
		case c == '(' && strings.HasPrefix(pattern[i+1:], "?"):
			rest := pattern[i+1:]
			switch {
			case strings.HasPrefix(rest, "?i)"), strings.HasPrefix(rest, "?:"),
				strings.HasPrefix(rest, "?="), strings.HasPrefix(rest, "?!"):
				b.WriteByte(c)
			default:
				return "", fmt.Errorf("pattern %q: group construct at byte %d has no checked translation", pattern, i)
			}
		default:
			if c >= 0x80 {
				return "", fmt.Errorf("pattern %q: non-ASCII pattern text has no checked translation", pattern)
			}
			b.WriteByte(c)
		}
	}
	if inClass {
		return "", fmt.Errorf("pattern %q: unterminated character class", pattern)
	}
	return b.String(), nil
}

func isASCIIAlphanumeric(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
