package hardened

import "bytes"

// span is a byte range of the analysis buffers (norm and low share offsets).
type span struct{ start, end int32 }

func (s span) len() int { return int(s.end - s.start) }

// token is one word of a normalised text.
type token struct {
	span
	// obf is the offset inside the token of the first quote, apostrophe,
	// caret or backtick that was removed with token characters on both
	// sides of it (`/ad"dfi"le` gives 3), or -1. A quote that wraps the
	// whole token is not obfuscation and does not set it.
	obf int32
	// cmdStart marks the first token of a command: the first of the text
	// or the first after `;`, `|`, `&` or a line break.
	cmdStart bool
	// joinNext reports that the whitespace after this token was inside
	// quotes, so a path may continue into the next token
	// ("C:\Program Files\x.exe").
	joinNext bool
	// cmdEnd is the index just past the last token of this token's
	// command, set once per text so that finding it costs nothing.
	cmdEnd int32
	// used marks a token already scored as a transfer's source or
	// destination, so that a later pass does not score it again.
	used bool
	// argvQ reports that the token starts inside the double quotes of a
	// command line's arguments (CommandLineToArgvW's rules).
	argvQ bool
	// raw and rawEnd are the token's bytes in the text it was read from,
	// its quotes included (psArgument reads them again as PowerShell).
	raw, rawEnd int32
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f'
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// tokenize normalises text into the analysis buffers and appends its tokens
// to a.toks, returning their index range. Normalisation happens once per
// text, as cmd.exe and PowerShell would see through it:
//   - `"`, `'`, `^` and backtick are removed (recording obfuscation when
//     they sit inside a word), but whitespace still separates tokens, so
//     `cmd /c "bitsadmin /transfer ..."` yields bitsadmin's own switches;
//   - the dashes PowerShell accepts for `-` (U+2013, U+2014, U+2015) become `-`;
//   - low holds an ASCII-lowercased copy (the keywords searched are ASCII,
//     and neither bitsadmin nor PowerShell folds non-ASCII letters onto
//     them);
//   - `;`, `|`, `&` and line breaks end a command; `(`, `)`, `,`, `<` and
//     `>` only end a token.
//
// Tokens are written separated by one space, so a run of tokens is itself a
// contiguous, readable slice of norm.
func (a *analysis) tokenize(text []byte) (lo, hi int) {
	lo = len(a.toks)
	var (
		inToken      bool
		cur          token
		pendingObf   int32 = -1
		doubleQuoted bool
		singleQuoted bool
		cmdStart     = true
		// The token's first byte in text (-1 before it), and the
		// command-line quoting there: argvQ with the backslashes before
		// a quote counted, which a doubled quote inside quotes skips.
		segStart      = -1
		segArgvQ      bool
		argvQ         bool
		backslashes   int
		skipArgvQuote bool
		i             int
	)
	end := func(joinNext bool) {
		segStart = -1
		if !inToken {
			return
		}
		cur.end = int32(len(a.norm))
		cur.joinNext = joinNext
		cur.rawEnd = int32(i)
		a.toks = append(a.toks, cur)
		inToken = false
		pendingObf = -1
	}
	emit := func(c byte) {
		if !inToken {
			if len(a.norm) > 0 {
				a.norm = append(a.norm, ' ')
				a.low = append(a.low, ' ')
			}
			cur = token{span: span{start: int32(len(a.norm))}, obf: -1, cmdStart: cmdStart,
				raw: int32(segStart), argvQ: segArgvQ}
			cmdStart = false
			inToken = true
		} else if pendingObf >= 0 {
			if cur.obf < 0 {
				cur.obf = pendingObf
			}
			pendingObf = -1
		}
		a.norm = append(a.norm, c)
		a.low = append(a.low, lowerASCII(c))
	}
	removed := func() {
		// A quote right after '=' or ':' opens a value (`name="x"`,
		// `-Destination:"C:\x"`): syntax, not obfuscation.
		if inToken && pendingObf < 0 && a.norm[len(a.norm)-1] != '=' && a.norm[len(a.norm)-1] != ':' {
			pendingObf = int32(len(a.norm)) - cur.start
		}
	}
	for i = 0; i < len(text); i++ {
		c := text[i]
		if segStart < 0 && !isSpace(c) {
			segStart, segArgvQ = i, argvQ
		}
		switch {
		case c == '\\':
			backslashes++
		case c == '"' && skipArgvQuote:
			skipArgvQuote, backslashes = false, 0
		case c == '"':
			if backslashes%2 == 0 {
				if argvQ && i+1 < len(text) && text[i+1] == '"' {
					skipArgvQuote = true // `""` inside quotes is a literal quote
				} else {
					argvQ = !argvQ
				}
			}
			backslashes = 0
		default:
			backslashes = 0
		}
		switch {
		case isSpace(c):
			end(doubleQuoted || singleQuoted)
		case c == '\n' || c == '\r' || c == ';' || c == '|' || c == '&':
			end(false)
			cmdStart = true
		case c == '(' || c == ')' || c == ',' || c == '<' || c == '>':
			end(false)
		case c == '"':
			if !singleQuoted {
				doubleQuoted = !doubleQuoted
			}
			removed()
		case c == '\'':
			if !doubleQuoted {
				singleQuoted = !singleQuoted
			}
			removed()
		case c == '^' || c == '`':
			removed()
		case c == 0xE2 && i+2 < len(text) && text[i+1] == 0x80 && text[i+2] >= 0x93 && text[i+2] <= 0x95:
			// En dash, em dash, horizontal bar: PowerShell reads them as '-'.
			emit('-')
			i += 2
		default:
			emit(c)
		}
	}
	end(false)
	hi = len(a.toks)
	cmdEnd := int32(hi)
	for k := hi - 1; k >= lo; k-- {
		a.toks[k].cmdEnd = cmdEnd
		if a.toks[k].cmdStart {
			cmdEnd = int32(k)
		}
	}
	return lo, hi
}

// cmdEnd returns the index just past the command holding token k.
func (a *analysis) cmdEnd(k, hi int) int {
	return min(int(a.toks[k].cmdEnd), hi)
}

// joined returns token k's span from offset off within it, extended over
// the following tokens that the same quotes enclosed, stopping before one
// that starts a parameter, a URL or another path: `"C:\Program
// Files\x.exe"` is one path. It also returns the last token joined.
func (a *analysis) joined(k, hi int, off int32) (span, int) {
	s := span{a.toks[k].start + off, a.toks[k].end}
	for ; k+1 < hi && a.toks[k].joinNext && !a.toks[k+1].cmdStart; k++ {
		next := a.low[a.toks[k+1].start:a.toks[k+1].end]
		if len(next) == 0 || next[0] == '-' || next[0] == '/' || urlStart(next) >= 0 || pathStart(next) >= 0 {
			break
		}
		s.end = a.toks[k+1].end
	}
	return s, k
}

// cmdScan follows cmd.exe's reading of a command line, from where `cmd /c`
// or `cmd /k` hands it its command, forward and once: `"` opens and closes
// its quotes, `^` outside them escapes the next character, and `&`, `&&`,
// `|` and `||` outside them end a command. A command that starts with a
// quote loses that quote and the line's last one (`cmd /?`, the /c and /k
// quote rules; where it keeps both instead, no separator lies between
// them, so the separators are the same).
type cmdScan struct {
	text   []byte
	at     int // the next byte to read; -1 before a `cmd /c`
	quoted bool
	// strip is the quote that opens the command, and lastQuote the text's
	// last, which cmd.exe strips with it (-1: none).
	strip, lastQuote int
}

// begin starts cmd.exe's reading of the command at text[from:], which
// follows /c or /k.
func (s *cmdScan) begin(from int) {
	s.at, s.quoted, s.strip = from, false, -1
	for from < len(s.text) && isSpace(s.text[from]) {
		from++
	}
	if from < len(s.text) && s.text[from] == '"' {
		s.strip = from
		if s.lastQuote < 0 { // found once per text
			s.lastQuote = bytes.LastIndexByte(s.text, '"')
		}
	}
}

// separator returns the offset of the first `&` or `|` at or after from
// that ends a command, or len(text) for none, reading on from where the
// last call stopped.
func (s *cmdScan) separator(from int) int {
	for ; s.at < len(s.text); s.at++ {
		switch c := s.text[s.at]; {
		case c == '"' && (s.strip < 0 || s.at != s.strip && s.at != s.lastQuote):
			s.quoted = !s.quoted
		case c == '^' && !s.quoted:
			s.at++
		case (c == '&' || c == '|') && !s.quoted && s.at >= from:
			s.at++
			return s.at - 1
		}
	}
	return len(s.text)
}
