package hardened

// PowerShell's argument mode (about_Parsing, about_Quoting_Rules,
// about_Special_Characters), as far as a cmdlet's argument needs it:
//
//   - outside quotes, the metacharacters white space, newline, `,`, `;`,
//     `|`, `&`, `(`, `)`, `{`, `}`, `<` and `>` end an argument (so the
//     `}` of `& {Start-BitsTransfer ... -Destination $env:TEMP\x.ps1}`
//     closes the script block, not the path; `a>b` redirects a to b), and
//     `#` does at its start;
//   - `'...'` is literal, `''` inside it is one `'`;
//   - `"..."` is expandable: a backtick escapes the next character (`0 a b
//     e f n r t v` name control characters), `""` inside it is one `"`;
//   - the curly quotes are quotes too: U+2018 to U+201B single, U+201C to
//     U+201E double, any of a kind closing (or doubling) any other;
//   - outside quotes a backtick escapes the next character too (a space:
//     ``a` b`` is one argument), and quoted parts join the bare ones
//     (`a'b c'd` is `ab cd`);
//   - `$(...)`, `${...}` and an argument that starts with `(`, `{`, `@(`
//     or `@{` are kept as written, brackets balanced (quotes inside them
//     are skipped, not removed): PowerShell would evaluate them.
//
// A process's command line reaches PowerShell through the Windows
// command-line rules first (CommandLineToArgvW: `"` quotes, `\"` is a
// literal quote, `""` inside quotes is one; powershell.exe joins the
// arguments after its switches with spaces), which psArgument applies
// when argv is set; they know no curly quotes. As everywhere in hardened
// mode, a caret outside quotes is removed (cmd.exe's escape).

// psReader is the state of one argument being read.
type psReader struct {
	a     *analysis
	start int32 // the value's first byte in norm
	// obf and pendingObf: the offset of the first quote, backtick or caret
	// removed between two characters of the value (token.obf's rule).
	obf, pendingObf int32

	quote        byte // 0, '\'' or '"': the PowerShell string being read
	pendingClose bool // a quote that closes the string, unless doubled
	escape       bool // the previous character was a backtick
	dollar       bool // the previous character was `$` (or a leading `@`)
	nest         int  // depth inside $( ), ${ } or a leading ( ) or { }
	nestQuote    byte // a string inside nest, skipped
	started      bool // a character of the argument has been read
}

func (r *psReader) emit(c byte) {
	if r.pendingObf >= 0 {
		if r.obf < 0 {
			r.obf = r.pendingObf
		}
		r.pendingObf = -1
	}
	r.a.norm = append(r.a.norm, c)
	r.a.low = append(r.a.low, lowerASCII(c))
}

// emitLit emits a character read as c whose bytes in the text are lit
// (nil when they are c itself): a curly quote taken literally keeps its
// own bytes.
func (r *psReader) emitLit(c byte, lit []byte) {
	if lit == nil {
		r.emit(c)
		return
	}
	for _, b := range lit {
		r.emit(b)
	}
}

// psQuoteClass returns the quote PowerShell reads the character U+2000+b
// as (its UTF-8 bytes being E2 80 b): U+2018 to U+201B are single
// quotes, U+201C to U+201E double quotes (about_Quoting_Rules; the
// language specification's single-quote-character and
// double-quote-character). It returns 0 for any other.
func psQuoteClass(b byte) byte {
	switch {
	case b >= 0x98 && b <= 0x9B:
		return '\''
	case b >= 0x9C && b <= 0x9E:
		return '"'
	}
	return 0
}

// removed records a quote, backtick or caret taken out of the value.
func (r *psReader) removed() {
	n := int32(len(r.a.norm)) - r.start
	if n > 0 && r.pendingObf < 0 {
		if last := r.a.norm[len(r.a.norm)-1]; last != '=' && last != ':' {
			r.pendingObf = n
		}
	}
}

// escaped is the character a backtick followed by c stands for.
func escaped(c byte) byte {
	switch c {
	case '0':
		return 0
	case 'a':
		return 7
	case 'b':
		return 8
	case 'e':
		return 0x1b
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'v':
		return '\v'
	}
	return c
}

// feed reads one character as PowerShell sees it and reports whether it
// ends the argument (it is then not part of it). lit is the character's
// bytes when they are not c (a curly quote read as c), nil otherwise.
func (r *psReader) feed(c byte, lit []byte) (stop bool) {
	first := !r.started
	r.started = true
	if r.pendingClose {
		r.pendingClose = false
		if c == r.quote {
			r.emitLit(c, lit) // a doubled quote is one literal quote
			return false
		}
		r.quote = 0
	}
	if r.escape {
		r.escape = false
		switch {
		case lit != nil:
			r.emitLit(c, lit)
		case c != '\n' && c != '\r': // a backtick before a line break continues the line
			r.emit(escaped(c))
		}
		return false
	}
	if r.nest > 0 {
		r.emitLit(c, lit)
		switch {
		case r.nestQuote != 0:
			if c == r.nestQuote {
				r.nestQuote = 0
			}
		case c == '\'' || c == '"':
			r.nestQuote = c
		case c == '(' || c == '{':
			r.nest++
		case c == ')' || c == '}':
			r.nest--
		}
		return false
	}
	dollar := r.dollar
	r.dollar = false
	switch r.quote {
	case '\'':
		if c == '\'' {
			r.pendingClose = true
			r.removed()
		} else {
			r.emitLit(c, lit)
		}
		return false
	case '"':
		switch {
		case c == '`':
			r.escape = true
			r.removed()
		case c == '"':
			r.pendingClose = true
			r.removed()
		case c == '(' && dollar:
			r.nest = 1
			r.emit(c)
		default:
			r.dollar = c == '$'
			r.emitLit(c, lit)
		}
		return false
	}
	if first {
		switch c {
		case '(', '{': // an expression or a script block
			r.nest = 1
			r.emit(c)
			return false
		case '#': // a comment
			return true
		case '@':
			r.dollar = true
			r.emit(c)
			return false
		}
	}
	switch c {
	case ' ', '\t', '\v', '\f', '\n', '\r', ',', ';', '|', '&', ')', '}', '<', '>':
		return true // `<` and `>` redirect (`a>b` writes a to b)
	case '(', '{':
		if !dollar {
			return true // a new argument starts here
		}
		r.nest = 1
		r.emit(c)
	case '\'', '"':
		r.quote = c
		r.removed()
	case '`':
		r.escape = true
		r.removed()
	case '^':
		r.removed()
	default:
		r.dollar = c == '$'
		r.emit(c)
	}
	return false
}

// psArgument reads the PowerShell argument that starts at text[from] and
// appends its value to the analysis buffers, reading no further than
// text[to]. argv says that text is a process's command line, and argvQ
// whether text[from] lies inside its double quotes. It returns the value,
// the offset in it of the first quote, backtick or caret removed between
// two of its characters (-1 for none), and the offset in text just past
// the argument. Its cost is linear in to-from.
func (a *analysis) psArgument(text []byte, from, to int, argv, argvQ bool) (s span, obf int32, next int) {
	r := psReader{a: a, start: int32(len(a.norm)), obf: -1, pendingObf: -1}
	i := from
	for ; i < to; i++ {
		c := text[i]
		if argv {
			if c == '\\' {
				j := i
				for j < to && text[j] == '\\' {
					j++
				}
				if j == to || text[j] != '"' {
					for ; i < j; i++ {
						if r.feed('\\', nil) {
							return r.span(), r.obf, i
						}
					}
					i--
					continue
				}
				// 2n backslashes and a quote: n backslashes, then the
				// quote is syntax; 2n+1: n backslashes and a literal quote.
				for k := 0; k < (j-i)/2; k++ {
					if r.feed('\\', nil) {
						return r.span(), r.obf, i
					}
				}
				if (j-i)%2 == 1 {
					if r.feed('"', nil) {
						return r.span(), r.obf, i
					}
					i = j
					continue
				}
				i = j
				c = '"'
			}
			if c == '"' {
				if argvQ && i+1 < to && text[i+1] == '"' {
					i++
					if r.feed('"', nil) {
						return r.span(), r.obf, i
					}
					continue
				}
				argvQ = !argvQ
				r.removed()
				continue
			}
		}
		if c == 0xE2 && i+2 < to && text[i+1] == 0x80 {
			if q := psQuoteClass(text[i+2]); q != 0 {
				if r.feed(q, text[i:i+3]) {
					break
				}
				i += 2
				continue
			}
		}
		if r.feed(c, nil) {
			break
		}
	}
	return r.span(), r.obf, i
}

func (r *psReader) span() span { return span{r.start, int32(len(r.a.norm))} }
