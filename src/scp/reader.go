package scp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"bitsscore/src/internal/textfmt"
)

// Default limits of a Reader. Splunk's largest chunks hold maxresultrows
// (50,000 by default) events; fields reach 10 MB. The limits exist so that a
// corrupt header cannot make the reader allocate what it claims.
const (
	DefaultMaxMetadataSize = 16 << 20 // the getinfo metadata carries the whole search string
	DefaultMaxBodySize     = 1 << 30
	maxHeaderLine          = 128 // "chunked 1.0,<20 digits>,<20 digits>\n" with generous spaces
	initialBodyAlloc       = 1 << 20
	// Once a body's first initialBodyAlloc bytes have arrived, its buffer
	// grows at once to the declared length, by up to trustedBodyAlloc: a
	// peer that has sent that much is sending a real chunk, and growing by
	// doubling would copy the bytes so far at each step and touch about
	// two and a half times the body's memory, each page a fault, which is
	// most of the cost of a session's first chunk. A lying header can
	// still cost at most this much more than what arrived, or, when the
	// peer has already sent a larger body, that body's size (which the
	// reader holds memory for anyway).
	trustedBodyAlloc = 64 << 20
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
	// proven is the most bytes one read has received: a buffer may grow
	// to that much at once, since the peer has shown it sends that much;
	// beyond it, a buffer grows only as the bytes arrive.
	proven int
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
	msg := Message{Metadata: r.meta, Body: r.body}
	err := r.ReadMessageInto(&msg)
	r.meta, r.body = msg.Metadata, msg.Body
	if err != nil {
		return Message{}, err
	}
	return msg, nil
}

// Await blocks until the next message has begun to arrive, and returns
// what ReadMessage would return at once if it cannot begin: io.EOF at the
// end of input, or the read error. A caller can then prepare for a message
// (make its buffers, grow its pipes) only once one is coming.
func (r *Reader) Await() error {
	_, err := r.br.Peek(1)
	return err
}

// ReadMessageInto reads the next message into msg, reusing the capacity of
// its slices, which then belong to msg and not to the Reader: a caller can
// keep one message while the next one is read, by alternating two. Its
// errors are ReadMessage's.
func (r *Reader) ReadMessageInto(msg *Message) error { return r.ReadMessageFunc(msg, nil) }

// ReadMessageFunc is ReadMessageInto that reports the body as it arrives:
// after each read that adds to the body, it calls arrived with the body so
// far and the length its header declares, so that a caller can begin on a
// long body while the rest is still on its way. arrived runs on the
// caller's goroutine, between reads.
//
// Bytes once passed to arrived never change. The buffer that holds them
// may: while the body grows toward its declared length (see readN), a
// later call can pass a slice of a new array, and the old one is no
// longer written. Once cap(body) is the declared length, every later call
// passes the same array.
func (r *Reader) ReadMessageFunc(msg *Message, arrived func(body []byte, length int)) error {
	start := r.offset
	metaLen, bodyLen, err := r.readHeader()
	if err != nil {
		return err
	}
	maxMeta, maxBody := r.limits()
	if metaLen > int64(maxMeta) {
		return &FormatError{Offset: start, Msg: fmt.Sprintf("metadata length %d is over the limit of %d bytes", metaLen, maxMeta), Err: ErrTooLarge}
	}
	if bodyLen > int64(maxBody) {
		return &FormatError{Offset: start, Msg: fmt.Sprintf("body length %d is over the limit of %d bytes", bodyLen, maxBody), Err: ErrTooLarge}
	}
	if msg.Metadata, err = r.readN(msg.Metadata, int(metaLen), nil); err != nil {
		return &FormatError{Offset: start, Msg: fmt.Sprintf("metadata cut short (declared %d bytes), %d arrived", metaLen, len(msg.Metadata)), Err: err}
	}
	if msg.Body, err = r.readN(msg.Body, int(bodyLen), arrived); err != nil {
		return &FormatError{Offset: start, Msg: fmt.Sprintf("body cut short (declared %d bytes), %d arrived", bodyLen, len(msg.Body)), Err: err}
	}
	return nil
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
// lies about its length costs at most what was actually sent, plus, once
// initialBodyAlloc bytes have arrived, trustedBodyAlloc or the largest
// body the peer has sent before (r.proven), whichever is more. A non-nil
// arrived hears of every read that adds to buf (ReadMessageFunc).
func (r *Reader) readN(buf []byte, n int, arrived func([]byte, int)) ([]byte, error) {
	buf = buf[:0]
	trusted := false // the buffer has grown once toward n after initialBodyAlloc bytes
	for len(buf) < n {
		// A buffer kept from a smaller message grows to the new length as
		// soon as the first MiB has come, not when it is full: a caller
		// scoring the body as it arrives (ReadMessageFunc) waits for the
		// buffer the body will stay in, and the copy is of one MiB, not
		// of the old buffer's whole size.
		early := !trusted && len(buf) >= initialBodyAlloc && cap(buf) < n
		if len(buf) == cap(buf) || early {
			grow := max(cap(buf)-len(buf), len(buf), initialBodyAlloc, r.proven-len(buf))
			if len(buf) >= initialBodyAlloc {
				grow = max(grow, trustedBodyAlloc)
				trusted = true
			}
			grow = min(grow, n-len(buf))
			grown := make([]byte, len(buf), len(buf)+grow)
			copy(grown, buf)
			buf = grown
		}
		want := min(n, cap(buf))
		var got int
		var err error
		if arrived == nil {
			got, err = io.ReadFull(r.br, buf[len(buf):want])
		} else {
			// One read at a time, each reported: a pipe hands over what it
			// holds, a pipe's worth or less. As with ReadFull, an error
			// that comes with the last bytes wanted is no error.
			got, err = r.br.Read(buf[len(buf):want])
			if len(buf)+got == want {
				err = nil
			}
		}
		buf = buf[:len(buf)+got]
		r.offset += int64(got)
		if got > 0 && arrived != nil {
			arrived(buf, n)
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return buf, err
		}
	}
	r.proven = max(r.proven, n)
	return buf, nil
}

// readHeader reads a header and returns the lengths it declares. It judges
// the bytes as they arrive rather than waiting for a newline: input that
// cannot begin a header is refused at once, because a confused peer may
// never send the newline and the session would hang on it; and no header
// is longer than maxHeaderLine.
func (r *Reader) readHeader() (metaLen, bodyLen int64, err error) {
	start := r.offset
	for need := 1; ; {
		_, readErr := r.br.Peek(need) // blocks until need bytes are buffered
		// Everything buffered, up to a header's length, without blocking.
		seen, _ := r.br.Peek(min(r.br.Buffered(), maxHeaderLine))
		if i := bytes.IndexByte(seen, '\n'); i >= 0 {
			seen = seen[:i+1]
		}
		h := scanHeader(seen)
		switch {
		case h.complete:
			if r.Strict && !isCanonicalHeader(seen, h.metaLen, h.bodyLen) {
				return 0, 0, &FormatError{Offset: start, Msg: fmt.Sprintf("header %q is not canonical (want \"chunked 1.0,%d,%d\\n\")", clip(seen), h.metaLen, h.bodyLen)}
			}
			r.br.Discard(len(seen))
			r.offset += int64(len(seen))
			return h.metaLen, h.bodyLen, nil
		case h.problem != "":
			return 0, 0, &FormatError{Offset: start, Msg: fmt.Sprintf("expected a header like \"chunked 1.0,<metadata length>,<body length>\", got %q: %s", clip(seen), h.problem)}
		case len(seen) >= maxHeaderLine:
			return 0, 0, &FormatError{Offset: start, Msg: fmt.Sprintf("expected a header like \"chunked 1.0,<metadata length>,<body length>\", got %d bytes without a newline: %q", len(seen), clip(seen))}
		case readErr == io.EOF && len(seen) == 0:
			return 0, 0, io.EOF
		case readErr == io.EOF:
			return 0, 0, &FormatError{Offset: start, Msg: fmt.Sprintf("input ends inside a header: %q", clip(seen)), Err: io.ErrUnexpectedEOF}
		case readErr != nil:
			return 0, 0, readErr
		}
		need = len(seen) + 1
	}
}

// A headerScan is what scanHeader makes of the start of a header.
type headerScan struct {
	metaLen, bodyLen int64
	complete         bool   // the bytes are a whole header, "\n" included
	problem          string // why the bytes cannot begin a header; "" while they still may
}

// scanHeader parses "chunked 1.0,<m>,<b>\n" leniently, as the reference
// implementation does (`chunked\s+1.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n` on one
// line), from b: bytes up to and including the first "\n", or all the bytes
// that have arrived when no "\n" has. Bytes that stop parsing at their very
// end are an incomplete header, not a bad one.
func scanHeader(b []byte) headerScan {
	var h headerScan
	p := headerParser{s: b}
	if p.literal("chunked") && p.spaces(1) && p.literal("1.0") &&
		p.spaces(0) && p.literal(",") && p.spaces(0) && p.number(&h.metaLen) &&
		p.spaces(0) && p.literal(",") && p.spaces(0) && p.number(&h.bodyLen) &&
		p.spaces(0) && p.literal("\n") {
		h.complete = true
		return h
	}
	if p.i == len(b) && !bytes.HasSuffix(b, []byte{'\n'}) {
		return h // a header so far: wait for the rest
	}
	h.problem = p.problem
	if h.problem == "" {
		h.problem = fmt.Sprintf("unexpected %q at byte %d", b[p.i:p.i+1], p.i)
	}
	return h
}

func isCanonicalHeader(line []byte, metaLen, bodyLen int64) bool {
	want := fmt.Appendf(nil, "chunked 1.0,%d,%d\n", metaLen, bodyLen)
	return string(line) == string(want)
}

// A headerParser consumes a header from the left. A step that fails leaves
// i where parsing stopped: at len(s) when the bytes ran out.
type headerParser struct {
	s       []byte
	i       int
	problem string // set by a step that can say more than "unexpected byte"
}

func (p *headerParser) literal(lit string) bool {
	rest := p.s[p.i:]
	if len(rest) < len(lit) {
		if string(rest) == lit[:len(rest)] {
			p.i = len(p.s) // a prefix of lit: the rest may follow
		} else {
			p.i += mismatch(rest, lit)
		}
		return false
	}
	if string(rest[:len(lit)]) != lit {
		p.i += mismatch(rest, lit)
		return false
	}
	p.i += len(lit)
	return true
}

// mismatch returns the index of the first byte of b that differs from lit.
func mismatch(b []byte, lit string) int {
	i := 0
	for i < len(b) && i < len(lit) && b[i] == lit[i] {
		i++
	}
	return i
}

// spaces consumes the spaces \s stands for, except "\n", which only ends
// the header.
func (p *headerParser) spaces(atLeast int) bool {
	n := 0
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\v', '\f':
			p.i++
			n++
			continue
		}
		break
	}
	return n >= atLeast
}

// number parses decimal digits into n; more than 18 of them is refused
// rather than overflowing (no real length comes close).
func (p *headerParser) number(n *int64) bool {
	*n = 0
	digits := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if digits == 18 {
			p.problem = "a length has more than 18 digits"
			return false
		}
		*n = *n*10 + int64(p.s[p.i]-'0')
		p.i++
		digits++
	}
	if digits == 0 && p.i < len(p.s) && p.s[p.i] == '-' {
		p.problem = "a length is negative"
	}
	return digits > 0
}

// clip is the excerpt of untrusted bytes an error message quotes.
func clip(b []byte) string { return textfmt.ClipBytes(b, 60) }
