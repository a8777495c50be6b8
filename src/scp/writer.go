package scp

import (
	"bufio"
	"io"
	"strconv"
)

// A Writer writes messages to a stream.
type Writer struct {
	bw  *bufio.Writer
	hdr []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 64<<10)}
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
	w.hdr = append(w.hdr[:0], "chunked 1.0,"...)
	w.hdr = strconv.AppendInt(w.hdr, int64(len(metadata)), 10)
	w.hdr = append(w.hdr, ',')
	w.hdr = strconv.AppendInt(w.hdr, int64(bodyLen), 10)
	w.hdr = append(w.hdr, '\n')
	w.bw.Write(w.hdr)
	w.bw.Write(metadata)
	for _, p := range parts {
		w.bw.Write(p) // a large part bypasses the buffer: no copy
	}
	return w.bw.Flush()
}
