package scp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Default limits of a Reader. Splunk's largest chunks hold maxresultrows
// (50,000 by default) events; fields reach 10 MB. The limits exist so that a
// corrupt header cannot make the reader allocate what it claims.
const (
	DefaultMaxMetadataSize = 16 << 20 // the getinfo metadata carries the whole search string
	DefaultMaxBodySize     = 1 << 30
	maxHeaderLine          = 128 // "chunked 1.0,<20 digits>,<20 digits>\n" with generous spaces
	initialBodyAlloc       = 1 << 20
)

// ErrTooLarge is wrapped by the error a Reader returns for a message larger
// than its limits.
var ErrTooLarge = errors.New("message exceeds the size limit")

// A FormatError reports a message that breaks the protocol's framing.
type FormatError struct {
	Offset int64 // byte offset in the stream where the message starts
	Msg    string
	Err    error // the underlying error, if any (io.ErrUnexpectedEOF, ErrTooLarge)
}

func (e *FormatError) Error() string {
	if e.Err != nil && e.Msg == "" {
		return fmt.Sprintf("scp: message at byte %d: %v", e.Offset, e.Err)
	}
	if e.Err != nil {
		return fmt.Sprintf("scp: message at byte %d: %s: %v", e.Offset, e.Msg, e.Err)
	}
	return fmt.Sprintf("scp: message at byte %d: %s", e.Offset, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// A Message is one protocol message.
type Message struct {
	Metadata []byte // a JSON object
	Body     []byte // CSV, or empty
}

// A Reader reads messages from a stream.
type Reader struct {
	// MaxMetadataSize and MaxBodySize bound the lengths a header may declare.
	// Zero means the defaults.
	MaxMetadataSize int
	MaxBodySize     int
	// Strict accepts only the canonical header, "chunked 1.0,<m>,<b>\n"
	// with no spaces or leading zeros: what a peer must write, as opposed
	// to what a tolerant reader accepts.
	Strict bool

	br     *bufio.Reader
	offset int64
	meta   []byte
	body   []byte
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.offset }

// ReadMessage reads the next message. The slices of the returned Message
// are valid until the next call to ReadMessage.
//
// At the end of input where a header is expected, the normal end of a
// session, it returns io.EOF. Any other failure is a *FormatError, or the
// underlying read error.
func (r *Reader) ReadMessage() (Message, error) {
	start := r.offset
	line, err := r.br.ReadSlice('\n')
	r.offset += int64(len(line))
	switch {
	case err == io.EOF && len(line) == 0:
		return Message{}, io.EOF
	case err == io.EOF:
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("input ends inside a header: %q", clip(line)), Err: io.ErrUnexpectedEOF}
	case err == bufio.ErrBufferFull || (err == nil && len(line) > maxHeaderLine):
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("expected a header like \"chunked 1.0,<metadata length>,<body length>\", got %q", clip(line))}
	case err != nil:
		return Message{}, err
	}
	metaLen, bodyLen, ok := parseHeader(line)
	if ok && r.Strict && !isCanonicalHeader(line, metaLen, bodyLen) {
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("header %q is not canonical (want \"chunked 1.0,%d,%d\\n\")", clip(line), metaLen, bodyLen)}
	}
	if !ok {
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("expected a header like \"chunked 1.0,<metadata length>,<body length>\", got %q", clip(line))}
	}
	maxMeta, maxBody := r.limits()
	if metaLen > int64(maxMeta) {
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("metadata length %d is over the limit of %d bytes", metaLen, maxMeta), Err: ErrTooLarge}
	}
	if bodyLen > int64(maxBody) {
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("body length %d is over the limit of %d bytes", bodyLen, maxBody), Err: ErrTooLarge}
	}
	if r.meta, err = r.readN(r.meta, int(metaLen)); err != nil {
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("metadata cut short (declared %d bytes)", metaLen), Err: err}
	}
	if r.body, err = r.readN(r.body, int(bodyLen)); err != nil {
		return Message{}, &FormatError{Offset: start, Msg: fmt.Sprintf("body cut short (declared %d bytes)", bodyLen), Err: err}
	}
	return Message{Metadata: r.meta, Body: r.body}, nil
}

func (r *Reader) limits() (maxMeta, maxBody int) {
	maxMeta, maxBody = r.MaxMetadataSize, r.MaxBodySize
	if maxMeta <= 0 {
		maxMeta = DefaultMaxMetadataSize
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	return maxMeta, maxBody
}

// readN reads exactly n bytes into buf, reusing its capacity. It grows the
// buffer as bytes arrive rather than trusting n up front, so a header that
// lies about its length costs at most what was actually sent.
func (r *Reader) readN(buf []byte, n int) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grow := max(cap(buf), initialBodyAlloc)
			grow = min(grow, n-len(buf))
			buf = append(buf[:cap(buf)], make([]byte, grow)...)[:len(buf)]
		}
		want := min(n, cap(buf))
		got, err := io.ReadFull(r.br, buf[len(buf):want])
		buf = buf[:len(buf)+got]
		r.offset += int64(got)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// parseHeader parses "chunked 1.0,<m>,<b>\n" leniently, as the reference
// implementations do: `chunked\s+1.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n`.
func parseHeader(line []byte) (metaLen, bodyLen int64, ok bool) {
	p := headerParser{s: line}
	if !p.literal("chunked") || !p.spaces(1) || !p.literal("1.0") {
		return 0, 0, false
	}
	p.spaces(0)
	if !p.literal(",") {
		return 0, 0, false
	}
	p.spaces(0)
	if metaLen, ok = p.number(); !ok {
		return 0, 0, false
	}
	p.spaces(0)
	if !p.literal(",") {
		return 0, 0, false
	}
	p.spaces(0)
	if bodyLen, ok = p.number(); !ok {
		return 0, 0, false
	}
	p.spaces(0) // also consumes "\r" and the final "\n", which \s covers
	return metaLen, bodyLen, p.i == len(p.s) && p.s[len(p.s)-1] == '\n'
}

func isCanonicalHeader(line []byte, metaLen, bodyLen int64) bool {
	want := fmt.Appendf(nil, "chunked 1.0,%d,%d\n", metaLen, bodyLen)
	return string(line) == string(want)
}

type headerParser struct {
	s []byte
	i int
}

func (p *headerParser) literal(lit string) bool {
	if len(p.s)-p.i < len(lit) || string(p.s[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

func (p *headerParser) spaces(atLeast int) bool {
	n := 0
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n', '\v', '\f':
			p.i++
			n++
			continue
		}
		break
	}
	return n >= atLeast
}

// number parses decimal digits; more than 18 of them is refused rather than
// overflowing (no real length comes close).
func (p *headerParser) number() (int64, bool) {
	var n int64
	digits := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if digits == 18 {
			return 0, false
		}
		n = n*10 + int64(p.s[p.i]-'0')
		p.i++
		digits++
	}
	return n, digits > 0
}

func clip(b []byte) []byte {
	const n = 60
	if len(b) > n {
		return b[:n]
	}
	return b
}
