package winevent

import "bytes"

// What scanBoundary found.
const (
	boundaryFound  = iota // the event's end tag
	boundaryMore          // the bytes end first: read on and call again
	boundaryUnsure        // something only the scanner can judge
)

// A boundaryScan is where the light scan of one event stopped, relative to
// the event's start: the next byte to read and the names of the open
// elements (at most maxXMLDepth).
type boundaryScan struct {
	pos  int
	open []span
}

// The strings that close markup the light scan skips, indexes in
// XMLEventReader.absent.
var closers = [...][]byte{[]byte("?>"), []byte("-->"), []byte("]]>"), []byte(`"`), []byte("'")}

const (
	closePI = iota
	closeComment
	closeCDATA
	closeDoubleQuote
	closeSingleQuote
)

// A noCloser is a range of buffer offsets [from, to) at which a closer is
// known not to start. A search that fails records it, so that a later
// search from inside the range starts at its end: the bytes of an unclosed
// CDATA section, say, are searched once, not once for every <Event tag in
// it that the reader tries after the section's event fails.
type noCloser struct{ from, to int }

// scanBoundary looks for the end of the event at buf[off], by counting
// start and end tags: it jumps from one '<' to the next, skips comments,
// CDATA sections, processing instructions and quoted attribute values
// (which may hold '>'), and checks nothing else: end tags are not matched
// to start tags (the parser does that). It stops as unsure past
// maxXMLDepth, on a nested <Event (a cut event is followed by the next
// one), on a '<' inside a tag or an attribute value (a truncated tag), and
// on markup an event does not hold (a DOCTYPE). b says where a previous
// call stopped; with boundaryFound, b.pos is the end of the event.
func (x *XMLEventReader) scanBoundary(b *boundaryScan) int {
	src := x.buf[x.off:x.end]
	pos := b.pos
	for {
		i := bytes.IndexByte(src[pos:], '<')
		if i < 0 {
			b.pos = len(src) // text is not read again
			return boundaryMore
		}
		pos += i
		b.pos = pos // a token cut by the end of the bytes is read again
		if pos+1 >= len(src) {
			return boundaryMore
		}
		switch src[pos+1] {
		case '/':
			end := pos + 2
			for end < len(src) && isNameByte[src[end]] {
				end++
			}
			for end < len(src) && isSpaceByte(src[end]) {
				end++
			}
			if end >= len(src) {
				return boundaryMore
			}
			if src[end] != '>' || end == pos+2 || len(b.open) == 0 {
				return boundaryUnsure
			}
			b.open = b.open[:len(b.open)-1]
			pos = end + 1
			if len(b.open) == 0 {
				b.pos = pos
				return boundaryFound
			}
		case '?':
			end := x.skipTo(pos, 2, closePI)
			if end < 0 {
				return boundaryMore
			}
			pos = end
		case '!':
			rest := src[pos:]
			end := -1
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				end = x.skipTo(pos, 4, closeComment)
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				end = x.skipTo(pos, 9, closeCDATA)
			case len(rest) < 9 && (bytes.HasPrefix([]byte("<![CDATA["), rest) || bytes.HasPrefix([]byte("<!--"), rest)):
			default:
				return boundaryUnsure
			}
			if end < 0 {
				return boundaryMore
			}
			pos = end
		default:
			end, selfClosed, status := x.skipStartTag(b, pos)
			if status != boundaryFound {
				return status
			}
			pos = end
			if selfClosed && len(b.open) == 0 { // <Event/>
				b.pos = pos
				return boundaryFound
			}
		}
	}
}

// plainEventEnd is the end of the event at buf[off] when it is a plain
// one, as Windows writes them: <Event ...> without a prefix, its first
// </Event> in the bytes read, and between the two no comment, CDATA
// section, processing instruction or other <Event> or <x:Event> tag. Such
// an event can end nowhere else (text and well-formed attribute values
// hold no '<'), so a few searches over its bytes replace the tag-by-tag
// scan; whether its tags balance and match is left to the parser. It
// returns 0 when the event is not plain, for scanBoundary to read, and
// more when its end is not in the bytes read.
func (x *XMLEventReader) plainEventEnd() (end int, more bool) {
	src := x.buf[x.off:x.end]
	const open = "<Event"
	if len(src) <= len(open) {
		return 0, true
	}
	if string(src[:len(open)]) != open || isNameByte[src[len(open)]] || src[len(open)] == '/' {
		return 0, false
	}
	// One search for "Event" finds the end tag and any other Event tag;
	// searches by '<' would stop at every tag.
	for from := len(open); end == 0; {
		j := bytes.Index(src[from:], []byte("Event"))
		if j < 0 {
			return 0, true
		}
		at, after := from+j, from+j+len("Event")
		if after >= len(src) {
			return 0, true
		}
		if !isNameByte[src[after]] { // not <EventID>, <EventData>
			switch prev := src[at-1]; {
			case prev == '/' && src[at-2] == '<' && src[after] == '>':
				end = after + 1
			case prev == '<' || prev == ':':
				return 0, false
			}
		}
		from = after
	}
	if end > x.maxEvent {
		return 0, false
	}
	for _, mark := range []byte{'!', '?'} { // <! and <? by their rarer byte
		for rest := src[:end]; ; {
			j := bytes.IndexByte(rest, mark)
			if j < 0 {
				break
			}
			if j > 0 && rest[j-1] == '<' {
				return 0, false
			}
			rest = rest[j+1:]
		}
	}
	return end, false
}

// skipTo returns the end of the markup at buf[off+pos:] that closes with
// closers[closer], searched for from pos+from, or -1 if the bytes end
// first.
func (x *XMLEventReader) skipTo(pos, from, closer int) int {
	if x.off+pos+from > x.end {
		return -1
	}
	at := x.find(x.off+pos+from, closer)
	if at < 0 {
		return -1
	}
	return at - x.off + len(closers[closer])
}

// find returns where closers[closer] first starts in buf[from:end], or -1;
// it skips and extends x.absent[closer].
func (x *XMLEventReader) find(from, closer int) int {
	c, known := closers[closer], &x.absent[closer]
	start := from
	covered := known.from <= from && from < known.to
	if covered {
		start = known.to
	}
	if i := bytes.Index(x.buf[start:x.end], c); i >= 0 {
		return start + i
	}
	to := max(start, x.end-len(c)+1)
	if covered {
		known.to = to
	} else {
		*known = noCloser{from, to}
	}
	return -1
}

// skipStartTag returns the end of the start tag at buf[off+pos] and
// whether it closes itself (<x/>); the element is pushed on b.open unless
// it does.
func (x *XMLEventReader) skipStartTag(b *boundaryScan, pos int) (end int, selfClosed bool, status int) {
	src := x.buf[x.off:x.end]
	end = pos + 1
	for end < len(src) && isNameByte[src[end]] {
		end++
	}
	name := span{pos + 1, end}
	switch {
	case end == len(src):
		return 0, false, boundaryMore
	case end == pos+1, len(b.open) >= maxXMLDepth:
		return 0, false, boundaryUnsure
	case len(b.open) > 0 && string(localName(src[name.start:name.end])) == "Event":
		return 0, false, boundaryUnsure
	}
	for ; end < len(src); end++ {
		switch c := src[end]; c {
		case '>':
			b.open = append(b.open, name)
			return end + 1, false, boundaryFound
		case '/':
			if end+1 >= len(src) {
				return 0, false, boundaryMore
			}
			if src[end+1] != '>' {
				return 0, false, boundaryUnsure
			}
			return end + 2, true, boundaryFound
		case '"', '\'':
			closer := closeDoubleQuote
			if c == '\'' {
				closer = closeSingleQuote
			}
			at := x.find(x.off+end+1, closer)
			if at < 0 {
				return 0, false, boundaryMore
			}
			if bytes.IndexByte(x.buf[x.off+end+1:at], '<') >= 0 {
				return 0, false, boundaryUnsure
			}
			end = at - x.off
		case '<':
			return 0, false, boundaryUnsure
		}
	}
	return 0, false, boundaryMore
}

// innermost is the local name of the innermost open element, or of the
// event's own tag while its start tag is being read.
func (b *boundaryScan) innermost(event []byte) []byte {
	if len(b.open) > 0 {
		s := b.open[len(b.open)-1]
		return localName(event[s.start:s.end])
	}
	end := 1
	for end < len(event) && isNameByte[event[end]] {
		end++
	}
	return localName(event[1:end])
}

// tag is the event's own start tag, "<" and its name, as resync looks for
// it; nil while the start tag is being read.
func (b *boundaryScan) tag(event []byte) []byte {
	if len(b.open) == 0 {
		return nil
	}
	return event[:b.open[0].end]
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
