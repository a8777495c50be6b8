package scp

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// A Writer writes messages to a stream.
type Writer struct {
	bw  *bufio.Writer
	hdr []byte
}

// DefaultWriterSize is the buffer of a Writer made by NewWriter: the
// default capacity of a Linux pipe.
const DefaultWriterSize = 64 << 10

// NewWriter returns a Writer writing to w through a buffer of
// DefaultWriterSize bytes.
func NewWriter(w io.Writer) *Writer { return NewWriterSize(w, DefaultWriterSize) }

// NewWriterSize returns a Writer writing to w through a buffer of at least
// size bytes. A body's small pieces are gathered in the buffer, so each
// write to w is a buffer's worth: to a pipe that takes more at once, a
// larger buffer means fewer system calls and fewer wake-ups of the reader.
func NewWriterSize(w io.Writer, size int) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, size)}
}

// WriteMessage writes one message and flushes it: the peer waits for each
// reply before it sends more, so nothing may linger in a buffer.
func (w *Writer) WriteMessage(metadata, body []byte) error {
	return w.WriteMessageParts(metadata, body)
}

// WriteMessageParts writes one message whose body is the concatenation of
// parts, without concatenating them first, and flushes it.
func (w *Writer) WriteMessageParts(metadata []byte, parts ...[]byte) error {
	bodyLen := 0
	for _, p := range parts {
		bodyLen += len(p)
	}
	w.writeHeader(metadata, bodyLen)
	for _, p := range parts {
		w.bw.Write(p) // a large part bypasses the buffer: no copy
	}
	return w.bw.Flush()
}

// A Body is a message body that writes itself, such as a bytes.Buffer or
// a bytes.Reader: its length must be known before its bytes are written,
// because the header declares it.
type Body interface {
	Len() int
	io.WriterTo
}

// WriteMessageBody writes one message whose body writes itself, and
// flushes it. Small writes of the body are gathered into the Writer's
// buffer, so a body may write itself in many small pieces.
//
// A body that writes other than the Len bytes it declared has corrupted
// the stream, which cannot be repaired: the error says so, and the caller
// must stop writing.
func (w *Writer) WriteMessageBody(metadata []byte, body Body) error {
	bodyLen := body.Len()
	w.writeHeader(metadata, bodyLen)
	n, err := body.WriteTo(w.bw)
	if err == nil && n != int64(bodyLen) {
		err = fmt.Errorf("scp: body wrote %d bytes, declared %d: the stream is corrupt", n, bodyLen)
	}
	if err != nil {
		return err
	}
	return w.bw.Flush()
}

func (w *Writer) writeHeader(metadata []byte, bodyLen int) {
	w.hdr = append(w.hdr[:0], "chunked 1.0,"...)
	w.hdr = strconv.AppendInt(w.hdr, int64(len(metadata)), 10)
	w.hdr = append(w.hdr, ',')
	w.hdr = strconv.AppendInt(w.hdr, int64(bodyLen), 10)
	w.hdr = append(w.hdr, '\n')
	w.bw.Write(w.hdr)
	w.bw.Write(metadata)
}
