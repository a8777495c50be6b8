package winevent

import (
	"bytes"
	"fmt"
	"io"
)

// MaxEventSize is the largest event an XMLEventReader reads: 64 MiB, far
// above what Windows writes (an event's EventData is limited to 64 KB of
// strings, a PowerShell script block is split at 32 KB), and still a bound
// on the memory one hostile event can take.
const MaxEventSize = 64 << 20

// An XMLEventReader reads Windows events from a stream of event XML: one
// event per line, several per line or one spread over many lines, bare or
// inside a wrapper element (evtx_dump.py's <Events>, wevtutil's /e:Events),
// after an XML declaration or not. Only the bytes of one event are held at
// a time.
//
// Next returns each event's bytes, to be read by ParseXML or ExtractXML,
// which check that they are well-formed: the reader only finds where an
// event ends, so that each event is tokenized once, by the parser. A plain
// event (plainEventEnd: what Windows writes) ends at its first </Event>;
// any other is read by a light scan that balances tags (scanBoundary).
// Whatever that scan cannot judge alone (an event cut off by the next
// <Event>, too deep, too large, or at the end of the input) is read again
// by the scanner, from the event's start, once: a bad event found there is
// returned as an *EventError, and the reader goes on at the next <Event>
// tag. An event whose tags do not match (<a></b>) is returned as it is,
// and its parse reports it.
type XMLEventReader struct {
	r        io.Reader
	buf      []byte
	off, end int  // buf[off:end] is read and not yet returned
	eof      bool // r has no more bytes
	err      error
	line     int // line of buf[off]
	maxEvent int
	// junkLine and junk are the first line and start of text found
	// between events, reported as one error when markup or the end of
	// the input follows it.
	junkLine int
	junk     []byte
	s        xmlScanner
	boundary boundaryScan
	absent   [len(closers)]noCloser // per closer, where it is known not to be
}

// An EventError is one bad event: the rest of the input is still read.
type EventError struct {
	Line int // where the event starts
	Err  error
}

func (e *EventError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *EventError) Unwrap() error { return e.Err }

// ErrEventTooLarge is the Err of an EventError for an event over the limit.
var ErrEventTooLarge = fmt.Errorf("event larger than %d MiB", MaxEventSize>>20)

// NewXMLEventReader returns a reader of events from r.
func NewXMLEventReader(r io.Reader) *XMLEventReader {
	return &XMLEventReader{r: r, buf: make([]byte, 64<<10), line: 1, maxEvent: MaxEventSize}
}

// Next returns the next event and the line it starts on, io.EOF at the end
// of the input, an *EventError for a bad event (call Next again for the
// next one) or the error of the underlying reader.
func (x *XMLEventReader) Next() (event []byte, line int, err error) {
	for {
		i := bytes.IndexByte(x.buf[x.off:x.end], '<')
		if i < 0 {
			x.noteJunk(x.end)
			if !x.more(1) {
				if err := x.junkError(); err != nil {
					return nil, err.Line, err
				}
				return nil, x.line, x.endErr()
			}
			continue
		}
		x.noteJunk(x.off + i)
		if err := x.junkError(); err != nil {
			return nil, err.Line, err
		}
		isEvent, skip, err := x.outsideMarkup()
		if err != nil {
			return nil, x.line, err
		}
		if skip < 0 { // incomplete: read on
			if !x.more(x.end - x.off + 1) {
				return nil, x.line, x.endErr()
			}
			continue
		}
		if !isEvent {
			x.consume(x.off + skip)
			continue
		}
		return x.event()
	}
}

// noteJunk consumes buf[off:to], text between events, remembering where
// any of it other than white space starts.
func (x *XMLEventReader) noteJunk(to int) {
	text := x.buf[x.off:to]
	if trimmed := bytes.TrimLeft(text, " \t\r\n"); len(trimmed) > 0 && x.junk == nil {
		x.junkLine = x.line + bytes.Count(text[:len(text)-len(trimmed)], []byte{'\n'})
		x.junk = append([]byte{}, trimmed[:min(len(trimmed), 64)]...)
	} else if len(x.junk) > 0 && len(x.junk) < 64 {
		x.junk = append(x.junk, text[:min(len(text), 64-len(x.junk))]...)
	}
	x.consume(to)
}

// junkError returns the error for the text noted since the last event.
func (x *XMLEventReader) junkError() *EventError {
	if x.junk == nil {
		return nil
	}
	err := &EventError{Line: x.junkLine, Err: fmt.Errorf("text %q outside any <Event>", clip(string(bytes.TrimSpace(x.junk))))}
	x.junk = nil
	return err
}

// outsideMarkup looks at the markup at buf[off] between events: an <Event>
// start tag (isEvent), or something to skip (a declaration, comment,
// processing instruction, DOCTYPE, or a wrapper's start or end tag) of
// length skip; skip is -1 when the buffer ends before the markup does.
func (x *XMLEventReader) outsideMarkup() (isEvent bool, skip int, err error) {
	rest := x.buf[x.off:x.end]
	var closer string
	switch {
	case len(rest) < 2:
		return false, -1, nil
	case rest[1] == '?':
		closer = "?>"
	case bytes.HasPrefix(rest, []byte("<!--")):
		closer = "-->"
	case rest[1] == '!' && len(rest) < 4:
		return false, -1, nil
	case rest[1] == '!' || rest[1] == '/':
		closer = ">"
	default:
		nameEnd := 1
		for nameEnd < len(rest) && isNameByte[rest[nameEnd]] {
			nameEnd++
		}
		if nameEnd == len(rest) {
			return false, -1, nil
		}
		if string(localName(rest[1:nameEnd])) == "Event" {
			return true, 0, nil
		}
		// A wrapper's start tag: its attribute values may hold '>'.
		x.s.reset(rest)
		if _, err := x.s.startTag(); err != nil {
			if isTruncated(err) {
				return false, -1, nil
			}
			x.consume(x.off + 1)
			return false, 0, &EventError{Line: x.line, Err: err}
		}
		return false, x.s.pos, nil
	}
	if i := bytes.Index(rest[2:], []byte(closer)); i >= 0 {
		return false, 2 + i + len(closer), nil
	}
	return false, -1, nil
}

// event reads the event starting at buf[off] to its end tag: by the light
// scan when it can tell, by checkedEvent otherwise.
func (x *XMLEventReader) event() ([]byte, int, error) {
	line := x.line
	for {
		end, more := x.plainEventEnd()
		if end > 0 {
			event := x.buf[x.off : x.off+end]
			x.consume(x.off + end)
			return event, line, nil
		}
		// Read on while the event may be plain (the held bytes double, so
		// searching again from its start costs linear time in all).
		if !more || x.end-x.off >= x.maxEvent || !x.more(min(max(2*(x.end-x.off), 64), x.maxEvent)) {
			break
		}
	}
	b := &x.boundary
	b.pos, b.open = 0, b.open[:0]
	for {
		switch x.scanBoundary(b) {
		case boundaryFound:
			event := x.buf[x.off : x.off+b.pos]
			x.consume(x.off + b.pos)
			if len(event) > x.maxEvent {
				return nil, line, &EventError{Line: line, Err: ErrEventTooLarge}
			}
			return event, line, nil
		case boundaryUnsure:
			return x.checkedEvent()
		}
		// The light scan resumes where it stopped: more keeps the event's
		// start first, and the held bytes double each time, so a token
		// read again after a read costs linear time in all.
		if x.end-x.off >= x.maxEvent {
			return nil, line, x.resync(line, b.tag(x.buf[x.off:x.end]), ErrEventTooLarge)
		}
		if !x.more(min(2*(x.end-x.off), x.maxEvent)) {
			if x.err != nil {
				return nil, line, x.err
			}
			open := clip(string(b.innermost(x.buf[x.off:x.end])))
			x.resync(line, b.tag(x.buf[x.off:x.end]), nil)
			return nil, line, &EventError{Line: line, Err: fmt.Errorf("input ends inside <%s>", open)}
		}
	}
}

// checkedEvent reads the event starting at buf[off] to its end tag with the
// scanner, which checks each token and names what is wrong.
func (x *XMLEventReader) checkedEvent() ([]byte, int, error) {
	line := x.line
	x.s.reset(x.buf[x.off:x.end])
	for {
		before := x.s.pos
		kind, err := x.s.next()
		switch {
		case err == nil && kind == tokenEnd && len(x.s.open) == 0:
			event := x.buf[x.off : x.off+x.s.pos]
			x.consume(x.off + x.s.pos)
			if len(event) > x.maxEvent {
				return nil, line, &EventError{Line: line, Err: ErrEventTooLarge}
			}
			return event, line, nil
		case err == nil && kind == tokenEOF || isTruncated(err):
			x.s.pos = before
			if x.end-x.off >= x.maxEvent {
				return nil, line, x.resync(line, x.eventTag(), ErrEventTooLarge)
			}
			if !x.more(min(2*(x.end-x.off), x.maxEvent)) {
				if x.err != nil {
					return nil, line, x.err
				}
				x.resync(line, x.eventTag(), nil)
				return nil, line, &EventError{Line: line, Err: fmt.Errorf("input ends inside <%s>", clip(string(localName(x.s.openName(len(x.s.open)-1)))))}
			}
			// more may have moved the bytes: the scanner's offsets are
			// relative to the event's start, which stays first.
			x.s.src = x.buf[x.off:x.end]
		case err != nil:
			return nil, line, x.resync(line, x.eventTag(), err)
		case kind == tokenStart && len(x.s.open) > 1 && string(localName(x.s.nameBytes())) == "Event":
			// Events do not nest: this one was cut off (a truncated line),
			// and the next starts here.
			open := clip(string(localName(x.s.openName(len(x.s.open) - 2))))
			return nil, line, x.resync(line, x.eventTag(), fmt.Errorf("<%s> not closed before the next <Event>", open))
		}
	}
}

// eventTag is the checked event's own start tag, "<" and its name, or nil
// while that tag is being read.
func (x *XMLEventReader) eventTag() []byte {
	if len(x.s.open) == 0 {
		return nil
	}
	return x.buf[x.off : x.off+1+len(x.s.openName(0))]
}

// resync skips the bad event that starts at buf[off]: everything up to the
// next start tag like its own (tag: "<Event" or "<e:Event"; nil for
// "<Event"), which an event can hold only when it is broken, or to the end
// of the input. It returns the error for the bad event.
func (x *XMLEventReader) resync(line int, tag []byte, cause error) error {
	name := []byte("<Event")
	if tag != nil {
		name = append(name[:0:0], tag...) // consume may move the buffer's bytes
	}
	x.consume(x.off + 1)
	for {
		found, next := x.findTag(name)
		if found {
			break
		}
		x.consume(next)
		if !x.more(x.end - x.off + 1) {
			x.consume(x.end)
			break
		}
	}
	if cause == nil {
		return nil
	}
	return &EventError{Line: line, Err: cause}
}

// findTag looks for the start tag <name in buf[off:end]. Found, it
// consumes up to the tag; not found, it returns where the search must
// resume once more is read (a match cut by the buffer's end stays).
func (x *XMLEventReader) findTag(name []byte) (found bool, next int) {
	from := x.off
	for {
		i := bytes.Index(x.buf[from:x.end], name)
		if i < 0 {
			return false, max(from, x.end-len(name))
		}
		after := from + i + len(name)
		if after == x.end {
			return false, from + i
		}
		if !isNameByte[x.buf[after]] { // not <EventData or <EventID
			x.consume(from + i)
			return true, 0
		}
		from = after
	}
}

// consume marks buf[off:to] as read, counting its lines.
func (x *XMLEventReader) consume(to int) {
	x.line += bytes.Count(x.buf[x.off:to], []byte{'\n'})
	x.off = to
}

// more reads until buf[off:end] holds at least want bytes or the input
// ends; it reports whether anything was read. The unread bytes move to the
// front of the buffer first, and the buffer grows when they fill it.
func (x *XMLEventReader) more(want int) bool {
	if x.eof || x.err != nil {
		return false
	}
	if x.off > 0 {
		x.end = copy(x.buf, x.buf[x.off:x.end])
		for i := range x.absent {
			a := &x.absent[i]
			a.from, a.to = max(a.from-x.off, 0), max(a.to-x.off, 0)
		}
		x.off = 0
	}
	if want > len(x.buf) {
		grown := make([]byte, min(max(want, 2*len(x.buf)), x.maxEvent+1))
		copy(grown, x.buf[:x.end])
		x.buf = grown
	}
	read := false
	for x.end < want || !read {
		if x.end == len(x.buf) {
			break
		}
		n, err := x.r.Read(x.buf[x.end:])
		x.end += n
		read = read || n > 0
		if err == io.EOF {
			x.eof = true
			break
		}
		if err != nil {
			x.err = err
			break
		}
	}
	return read
}

func (x *XMLEventReader) endErr() error {
	if x.err != nil {
		return x.err
	}
	return io.EOF
}

// isTruncated reports whether the scanner stopped for want of input. The
// scanner returns truncatedError unwrapped; a type assertion, unlike
// errors.As with its pointer target, costs no allocation per token.
func isTruncated(err error) bool {
	_, ok := err.(truncatedError)
	return ok
}
