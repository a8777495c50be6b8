package command

import (
	"io"
	"slices"

	"bitsscore/src/splcsv"
)

// A replyWriter builds the body of a reply without copying the records
// that pass through: a record that changes in no cell the command owns is
// kept as a span of the request body (WriteFromSource), and only the bytes
// the command writes itself (the header, new cells, records rewritten cell
// by cell) are encoded, by a splcsv.Writer. WriteTo sends both,
// interleaved in order.
//
// A chunk's records are most of its reply, so this saves copying about a
// chunk per chunk, and the reply's memory falls from a chunk's size to the
// new cells plus 24 bytes a record. The price is that the request body
// must stay unchanged until the reply is written.
type replyWriter struct {
	enc splcsv.Writer // the encoded bytes
	// source is the request body; shared lists spans of it, each to be
	// written after the encoded bytes up to its encodedEnd. Spans are
	// offsets, not slices: a slice of pointer-free structs costs the
	// garbage collector nothing to scan or to clear.
	source    []byte
	shared    []sharedSpan
	sharedLen int

	_ falseSharingPad // workers write the runs' replyWriters side by side
}

type sharedSpan struct{ encodedEnd, start, end int }

func newReplyWriter() *replyWriter { return &replyWriter{} }

// The encoding methods of splcsv.Writer.
func (w *replyWriter) WriteRaw(raw []byte)        { w.enc.WriteRaw(raw) }
func (w *replyWriter) WriteField(value []byte)    { w.enc.WriteField(value) }
func (w *replyWriter) WriteString(value string)   { w.enc.WriteString(value) }
func (w *replyWriter) WriteEmpty(n int)           { w.enc.WriteEmpty(n) }
func (w *replyWriter) WriteValues(v [][]byte)     { w.enc.WriteValues(v) }
func (w *replyWriter) WriteMultivalue(v [][]byte) { w.enc.WriteMultivalue(v) }
func (w *replyWriter) EndRecord()                 { w.enc.EndRecord() }

// Encoded returns the bytes encoded so far, without the shared ones.
func (w *replyWriter) Encoded() []byte { return w.enc.Bytes() }

// Reset empties the writer, keeping its buffers, and makes source the
// buffer WriteFromSource refers to. It makes room at once for the reply a
// source of that size usually gets, so that a session's first chunk
// allocates its reply buffers once instead of by doubling: each doubling
// copies what came before into memory touched for the first time, a page
// fault per page, and that was a third of the command's time on a cold
// 60 MB chunk. Later chunks find the room already there.
func (w *replyWriter) Reset(source []byte) {
	w.enc.Reset()
	w.source = source
	w.shared, w.sharedLen = w.shared[:0], 0
	w.enc.Grow(len(source) / appendedBytesPer)
	w.shared = slices.Grow(w.shared, len(source)/sourceBytesPerRecord)
}

// Reserve empties the writer and makes room for n encoded bytes, for a
// caller that knows its replies encode more than the share Reset makes
// room for (n at least that share, so that Reset does not grow the buffer
// again): Reset then finds the room there.
func (w *replyWriter) Reserve(n int) {
	w.enc.Reset()
	w.enc.Grow(n)
}

// The room Reset makes: a process event as splunkd sends it for this
// command is a couple of hundred bytes and gets about 30 bytes of new
// cells, so an eighth of the source was a little short and a sixth
// leaves a margin. Shorter records or longer cells grow the buffers by
// doubling, as before.
const (
	sourceBytesPerRecord = 160
	appendedBytesPer     = 6
)

// WriteFromSource writes source[start:end], cells already encoded (a
// record exactly as the request holds it), without copying them: source
// must not change until the body has been written.
func (w *replyWriter) WriteFromSource(start, end int) {
	w.enc.WriteRaw(nil) // the separator, if the span does not start the record
	w.shared = append(w.shared, sharedSpan{encodedEnd: w.enc.Len(), start: start, end: end})
	w.sharedLen += end - start
}

// Len returns the length of the body written so far.
func (w *replyWriter) Len() int { return w.enc.Len() + w.sharedLen }

// WriteTo writes the body to dst.
func (w *replyWriter) WriteTo(dst io.Writer) (int64, error) {
	encoded := w.enc.Bytes()
	var written int64
	write := func(b []byte) error {
		n, err := dst.Write(b)
		written += int64(n)
		return err
	}
	from := 0
	for _, s := range w.shared {
		if err := write(encoded[from:s.encodedEnd]); err != nil {
			return written, err
		}
		if err := write(w.source[s.start:s.end]); err != nil {
			return written, err
		}
		from = s.encodedEnd
	}
	err := write(encoded[from:])
	return written, err
}

// AppendTo appends the body to dst: for tests and for callers that need
// the reply in one piece.
func (w *replyWriter) AppendTo(dst []byte) []byte {
	encoded := w.enc.Bytes()
	from := 0
	for _, s := range w.shared {
		dst = append(dst, encoded[from:s.encodedEnd]...)
		dst = append(dst, w.source[s.start:s.end]...)
		from = s.encodedEnd
	}
	return append(dst, encoded[from:]...)
}

// A reply is a reply body in parts (a split chunk's header and runs),
// written in order: an scp.Body.
type reply []*replyWriter

func (r reply) Len() int {
	n := 0
	for _, w := range r {
		n += w.Len()
	}
	return n
}

func (r reply) WriteTo(dst io.Writer) (int64, error) {
	var written int64
	for _, w := range r {
		n, err := w.WriteTo(dst)
		written += n
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// bytes returns the reply in one piece.
func (r reply) bytes() []byte {
	var b []byte
	for _, w := range r {
		b = w.AppendTo(b)
	}
	return b
}
