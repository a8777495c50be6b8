package winevent

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// maxXMLDepth bounds how deeply elements nest in one event. Windows writes
// at most five or six levels (Event, UserData, an event-specific element and
// its children); the bound keeps the stack of open element names small
// whatever the input, so a hostile event costs one error, never a crash.
const maxXMLDepth = 256

// A span is a byte range [start, end) of the scanned input.
type span struct{ start, end int }

// An xmlAttr is one attribute of the start tag just read.
type xmlAttr struct {
	name, value span // value without its quotes, not yet decoded
	local       int  // where the name's local part (localName) starts
}

// The kinds of token next returns. Comments and processing instructions are
// skipped inside next: nothing in an event's fields depends on them.
const (
	tokenEOF = iota
	tokenStart
	tokenEnd
	tokenText // character data or a CDATA section
	tokenDirective
)

// An xmlScanner reads an XML document token by token, in one pass over its
// bytes and without recursion or per-token allocation. It checks what
// decides which bytes are markup and which are values (tags balanced and
// matching, attributes quoted, entities known, comments, CDATA and
// processing instructions closed) and leaves the rest of XML's
// well-formedness rules (which characters names may use, "--" inside
// comments) unchecked: an event encoding/xml rejects for those is read
// here, and gives the fields it would give.
type xmlScanner struct {
	src   []byte
	pos   int
	open  []span    // the names of the open elements, outermost first
	attrs []xmlAttr // the attributes of the last start tag
	name  span      // the name in the last start or end tag
	local int       // where the local part of the last start tag's name starts
	raw   span      // the last text token, undecoded
	cdata bool      // the last text token is a CDATA section
	// selfClosed is set after <x/>: the next token is its end.
	selfClosed bool
	// The text of the element being gathered (gatherText): its first
	// token, when it needs no decoding, is held as a slice of the input,
	// copied into text only if more text follows.
	text        []byte
	held        []byte
	gatheredAny bool   // some text token has been gathered since resetText
	value       []byte // a decoded attribute value
	dataName    []byte // the decoded Name of the EventData Data element being read
	// system and data are ParseXML's builders, kept with the scanner so
	// that their buffers are reused from event to event.
	system, data builder
}

func (s *xmlScanner) reset(src []byte) {
	s.src, s.pos = src, 0
	s.open, s.attrs = s.open[:0], s.attrs[:0]
	s.selfClosed = false
	s.resetText()
}

// release drops the reference to the input so a pooled scanner does not
// keep it alive, and buffers grown by one huge event.
func (s *xmlScanner) release() {
	s.src, s.held = nil, nil
	const keep = 64 << 10
	if cap(s.text) > keep {
		s.text = nil
	}
	if cap(s.value) > keep {
		s.value = nil
	}
	if cap(s.dataName) > keep {
		s.dataName = nil
	}
	if cap(s.system.arena) > keep || cap(s.data.arena) > keep {
		s.system, s.data = builder{}, builder{}
	}
}

func (s *xmlScanner) nameBytes() []byte { return s.src[s.name.start:s.name.end] }

// localBytes is the last start tag's name without its prefix: localName
// of nameBytes, found as the name was read.
func (s *xmlScanner) localBytes() []byte { return s.src[s.local:s.name.end] }

func (s *xmlScanner) openName(i int) []byte {
	if i < 0 {
		return nil
	}
	return s.src[s.open[i].start:s.open[i].end]
}

// A truncatedError is input that ends inside a piece of markup: more of
// the stream would complete it (XMLEventReader reads on).
type truncatedError string

func (e truncatedError) Error() string { return "input ends inside " + string(e) }

const errTagEOF = truncatedError("a tag")

// next reads the next token. Start tags push their name on s.open and end
// tags pop it, after checking that it matches.
func (s *xmlScanner) next() (int, error) {
	if s.selfClosed {
		s.selfClosed = false
		s.open = s.open[:len(s.open)-1]
		return tokenEnd, nil
	}
	for {
		src, pos := s.src, s.pos
		if pos >= len(src) {
			return tokenEOF, nil
		}
		if src[pos] != '<' {
			end := len(src)
			if i := bytes.IndexByte(src[pos:], '<'); i >= 0 {
				end = pos + i
			}
			s.raw, s.cdata, s.pos = span{pos, end}, false, end
			return tokenText, nil
		}
		if pos+1 >= len(src) {
			return 0, errTagEOF
		}
		switch src[pos+1] {
		case '/':
			return s.endTag()
		case '?':
			i := bytes.Index(src[pos+2:], []byte("?>"))
			if i < 0 {
				return 0, truncatedError("a processing instruction <?...?>")
			}
			s.pos = pos + 2 + i + 2
		case '!':
			rest := src[pos:]
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				i := bytes.Index(rest[4:], []byte("-->"))
				if i < 0 {
					return 0, truncatedError("a comment <!--...-->")
				}
				s.pos = pos + 4 + i + 3
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				i := bytes.Index(rest[9:], []byte("]]>"))
				if i < 0 {
					return 0, truncatedError("a CDATA section")
				}
				s.raw, s.cdata, s.pos = span{pos + 9, pos + 9 + i}, true, pos+9+i+3
				return tokenText, nil
			default:
				return tokenDirective, s.skipDirective()
			}
		default:
			return s.startTag()
		}
	}
}

// isNameByte marks the bytes a name may hold: encoding/xml's ASCII name
// bytes, and every byte of a multi-byte UTF-8 character.
var isNameByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == ':' || c == '.' || c == '-' || c >= utf8.RuneSelf
	}
	return t
}()

// scanQName returns the end of the name starting at pos, and where its
// local part starts (see localName), found in the same pass.
func (s *xmlScanner) scanQName(pos int) (end, local int) {
	colon := -1
	for i, c := range s.src[pos:] {
		if !isNameByte[c] {
			end = pos + i
			if colon > pos && colon < end-1 {
				return end, colon + 1
			}
			return end, pos
		}
		if c == ':' && colon < 0 {
			colon = pos + i
		}
	}
	end = len(s.src)
	if colon > pos && colon < end-1 {
		return end, colon + 1
	}
	return end, pos
}

// scanName returns the end of the name starting at pos.
func (s *xmlScanner) scanName(pos int) int {
	for i, c := range s.src[pos:] {
		if !isNameByte[c] {
			return pos + i
		}
	}
	return len(s.src)
}

func (s *xmlScanner) skipSpace(pos int) int {
	for pos < len(s.src) {
		switch s.src[pos] {
		case ' ', '\t', '\r', '\n':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// startTag reads <name attr='v' ...> or <name .../>, s.pos at its '<'.
func (s *xmlScanner) startTag() (int, error) {
	src := s.src
	start := s.pos + 1
	end, local := s.scanQName(start)
	if end == start {
		return 0, fmt.Errorf("expected an element name after < at byte %d", s.pos)
	}
	if len(s.open) >= maxXMLDepth {
		return 0, fmt.Errorf("elements nested more than %d deep", maxXMLDepth)
	}
	s.name, s.local = span{start, end}, local
	s.attrs = s.attrs[:0]
	pos := end
	for {
		pos = s.skipSpace(pos)
		if pos >= len(src) {
			return 0, errTagEOF
		}
		switch src[pos] {
		case '>':
			s.pos = pos + 1
			s.open = append(s.open, s.name)
			return tokenStart, nil
		case '/':
			if pos+1 >= len(src) {
				return 0, errTagEOF
			}
			if src[pos+1] != '>' {
				return 0, fmt.Errorf("expected /> in <%s>", clip(string(s.nameBytes())))
			}
			s.pos = pos + 2
			s.open = append(s.open, s.name)
			s.selfClosed = true
			return tokenStart, nil
		}
		nameEnd, local := s.scanQName(pos)
		if nameEnd == pos {
			return 0, fmt.Errorf("expected an attribute name in <%s>", clip(string(s.nameBytes())))
		}
		attr := xmlAttr{name: span{pos, nameEnd}, local: local}
		pos = s.skipSpace(nameEnd)
		if pos >= len(src) {
			return 0, errTagEOF
		}
		if src[pos] != '=' {
			return 0, fmt.Errorf("attribute %s without = in <%s>", clip(string(src[attr.name.start:attr.name.end])), clip(string(s.nameBytes())))
		}
		pos = s.skipSpace(pos + 1)
		if pos >= len(src) {
			return 0, errTagEOF
		}
		quote := src[pos]
		if quote != '"' && quote != '\'' {
			return 0, fmt.Errorf("attribute %s's value is not quoted in <%s>", clip(string(src[attr.name.start:attr.name.end])), clip(string(s.nameBytes())))
		}
		i := bytes.IndexByte(src[pos+1:], quote)
		if i < 0 {
			return 0, errTagEOF
		}
		attr.value = span{pos + 1, pos + 1 + i}
		s.attrs = append(s.attrs, attr)
		pos += 1 + i + 1
	}
}

// endTag reads </name>, s.pos at its '<'.
func (s *xmlScanner) endTag() (int, error) {
	start := s.pos + 2
	// Nearly always the name is the open element's, followed by '>': one
	// comparison rather than a scan of the name. Anything else goes the
	// long way, which names what is wrong.
	if n := len(s.open); n > 0 {
		open := s.open[n-1]
		end := start + open.end - open.start
		if end < len(s.src) && s.src[end] == '>' && bytes.Equal(s.src[start:end], s.src[open.start:open.end]) {
			s.name = span{start, end}
			s.open = s.open[:n-1]
			s.pos = end + 1
			return tokenEnd, nil
		}
	}
	end := s.scanName(start)
	if end == len(s.src) {
		return 0, errTagEOF
	}
	if end == start {
		return 0, fmt.Errorf("expected an element name after </ at byte %d", s.pos)
	}
	pos := s.skipSpace(end)
	if pos >= len(s.src) {
		return 0, errTagEOF
	}
	s.name = span{start, end}
	if s.src[pos] != '>' {
		return 0, fmt.Errorf("unexpected characters between </%s and >", clip(string(s.nameBytes())))
	}
	n := len(s.open)
	if n == 0 {
		return 0, fmt.Errorf("unexpected end element </%s>", clip(string(s.nameBytes())))
	}
	if open := s.openName(n - 1); !bytes.Equal(open, s.nameBytes()) {
		return 0, fmt.Errorf("element <%s> closed by </%s>", clip(string(open)), clip(string(s.nameBytes())))
	}
	s.open = s.open[:n-1]
	s.pos = pos + 1
	return tokenEnd, nil
}

// skipDirective skips <!...> (a DOCTYPE, say) as encoding/xml does: quoted
// text and nested <...> pairs do not end it, comments inside are skipped.
func (s *xmlScanner) skipDirective() error {
	src := s.src
	depth := 0
	var quote byte
	for pos := s.pos + 2; pos < len(src); pos++ {
		c := src[pos]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			if depth == 0 {
				s.pos = pos + 1
				return nil
			}
			depth--
		case c == '<':
			if bytes.HasPrefix(src[pos:], []byte("<!--")) {
				i := bytes.Index(src[pos+4:], []byte("-->"))
				if i < 0 {
					return truncatedError("a comment <!--...-->")
				}
				pos += 4 + i + 2
				continue
			}
			depth++
		}
	}
	return truncatedError("a <!...> directive")
}

// appendText appends the last text token, decoded, to dst: entities and
// character references replaced, and line ends normalised to "\n" as XML
// requires (a CDATA section's content is taken as it is, but for its line
// ends).
func (s *xmlScanner) appendText(dst []byte) ([]byte, error) {
	return appendDecoded(dst, s.src[s.raw.start:s.raw.end], !s.cdata)
}

func (s *xmlScanner) resetText() { s.text, s.held, s.gatheredAny = s.text[:0], nil, false }

// gatherText adds the last text token, decoded, to the element's text.
func (s *xmlScanner) gatherText() error {
	raw := s.src[s.raw.start:s.raw.end]
	if !s.gatheredAny {
		s.gatheredAny = true
		if !needsDecoding(raw, !s.cdata) {
			s.held = raw // most values: no copy
			return nil
		}
	}
	if s.held != nil {
		s.text, s.held = append(s.text, s.held...), nil
	}
	var err error
	s.text, err = appendDecoded(s.text, raw, !s.cdata)
	return err
}

// gathered is the element's text gathered since resetText.
func (s *xmlScanner) gathered() []byte {
	if s.held != nil {
		return s.held
	}
	return s.text
}

// needsDecoding reports whether raw holds a CR or, when entities is set,
// an '&': whether appendDecoded would change it. A short value is looked
// at byte by byte, cheaper than two calls to the vectorised search.
func needsDecoding(raw []byte, entities bool) bool {
	if len(raw) <= 32 {
		for _, c := range raw {
			if c == '\r' || c == '&' && entities {
				return true
			}
		}
		return false
	}
	return bytes.IndexByte(raw, '\r') >= 0 || entities && bytes.IndexByte(raw, '&') >= 0
}

// checkText reports the error appendText would give for the last text
// token, without keeping the text: only its entities are decoded, each
// into a scratch buffer.
func (s *xmlScanner) checkText() error {
	if s.cdata {
		return nil
	}
	raw := s.src[s.raw.start:s.raw.end]
	for {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return nil
		}
		var n int
		var err error
		if s.value, n, err = appendEntity(s.value[:0], raw[i:]); err != nil {
			return err
		}
		raw = raw[i+n:]
	}
}

// attrValue returns an attribute's decoded value: the input's bytes when
// decoding would not change them, else the value decoded into *buf.
func (s *xmlScanner) attrValue(a xmlAttr, buf *[]byte) ([]byte, error) {
	raw := s.src[a.value.start:a.value.end]
	if !needsDecoding(raw, true) {
		return raw, nil
	}
	var err error
	*buf, err = appendDecoded((*buf)[:0], raw, true)
	return *buf, err
}

// appendDecoded appends raw to dst with "\r\n" and "\r" written as "\n" and,
// when entities is set, &name; and &#N; / &#xH; replaced. The next '\r' and
// the next '&' are found by vectorised searches, each searched for again
// only once passed: the bytes between are copied whole, and each byte is
// searched over at most once per kind, whatever the input.
func appendDecoded(dst, raw []byte, entities bool) ([]byte, error) {
	cr, amp := bytes.IndexByte(raw, '\r'), -1
	if entities {
		amp = bytes.IndexByte(raw, '&')
	}
	if cr < 0 && amp < 0 { // most values
		return append(dst, raw...), nil
	}
	pos := 0
	for {
		if cr >= 0 && cr < pos {
			cr = indexByteFrom(raw, pos, '\r')
		}
		if amp >= 0 && amp < pos {
			amp = indexByteFrom(raw, pos, '&')
		}
		next := len(raw)
		if cr >= 0 {
			next = cr
		}
		if amp >= 0 && amp < next {
			next = amp
		}
		dst = append(dst, raw[pos:next]...)
		switch {
		case next == len(raw):
			return dst, nil
		case next == cr:
			dst = append(dst, '\n')
			pos = next + 1
			if pos < len(raw) && raw[pos] == '\n' {
				pos++
			}
		default:
			var n int
			var err error
			dst, n, err = appendEntity(dst, raw[next:])
			if err != nil {
				return dst, err
			}
			pos = next + n
		}
	}
}

// indexByteFrom is the index in b of the first c at or after from, or -1.
func indexByteFrom(b []byte, from int, c byte) int {
	if i := bytes.IndexByte(b[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// appendEntity decodes the entity or character reference at the start of
// raw (which starts with '&'), appends it to dst and returns its length.
// Only XML's five predefined entities are known: Windows declares no
// others, and an unknown one is an error, as for encoding/xml.
func appendEntity(dst, raw []byte) ([]byte, int, error) {
	// The predefined names are short: looking further for ';' would make
	// text full of '&' cost more than linear time. A loop: the span is
	// too short for a vectorised search to pay.
	semi := -1
	for i, c := range raw[:min(len(raw), 8)] {
		if c == ';' {
			semi = i
			break
		}
	}
	if len(raw) > 1 && raw[1] == '#' {
		digits, base := 2, rune(10)
		if len(raw) > 2 && raw[2] == 'x' {
			digits, base = 3, 16
		}
		var r rune
		i := digits
		for ; i < len(raw); i++ {
			d := hexDigit(raw[i])
			if d < 0 || d >= base {
				break
			}
			if r <= utf8.MaxRune {
				r = r*base + d
			}
		}
		if i == digits || i >= len(raw) || raw[i] != ';' || r > utf8.MaxRune {
			return dst, 0, fmt.Errorf("invalid character reference %s", clip(string(raw[:min(i+1, len(raw))])))
		}
		return utf8.AppendRune(dst, r), i + 1, nil // a surrogate becomes U+FFFD, as in encoding/xml
	}
	if c := predefinedEntity(raw[1:max(semi, 1)]); c != 0 {
		return append(dst, c), semi + 1, nil
	}
	end := min(len(raw), 8)
	if semi >= 0 {
		end = semi + 1
	}
	return dst, 0, fmt.Errorf("invalid character entity %s", raw[:end])
}

// predefinedEntity is the character XML's predefined entity name stands
// for, or 0. Byte comparisons by length: cheaper than a switch on the
// name as a string, which the text of a script block makes count.
func predefinedEntity(name []byte) byte {
	switch len(name) {
	case 2:
		if name[1] == 't' {
			switch name[0] {
			case 'l':
				return '<'
			case 'g':
				return '>'
			}
		}
	case 3:
		if name[0] == 'a' && name[1] == 'm' && name[2] == 'p' {
			return '&'
		}
	case 4:
		switch {
		case name[0] == 'q' && name[1] == 'u' && name[2] == 'o' && name[3] == 't':
			return '"'
		case name[0] == 'a' && name[1] == 'p' && name[2] == 'o' && name[3] == 's':
			return '\''
		}
	}
	return 0
}

func hexDigit(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}
