package splcsv

import "slices"

// A Writer builds a CSV body in memory. The protocol's header declares the
// body's length, so a body is always complete before it is sent. The zero
// value is an empty Writer ready to use.
type Writer struct {
	buf      []byte
	inRecord bool // a field of the current record has been written
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer { return &Writer{} }

// Reset empties the Writer, keeping its buffer.
func (w *Writer) Reset() { w.buf, w.inRecord = w.buf[:0], false }

// Grow makes room for n more bytes, so that a body of about known size is
// allocated once instead of by repeated doubling.
func (w *Writer) Grow(n int) { w.buf = slices.Grow(w.buf, n) }

// Bytes returns the body written so far; it is valid until the next write.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of bytes written so far.
func (w *Writer) Len() int { return len(w.buf) }

func (w *Writer) sep() {
	if w.inRecord {
		w.buf = append(w.buf, ',')
	}
	w.inRecord = true
}

// WriteRaw writes a cell exactly as given: a Field.Raw read from Splunk, or
// an already encoded value.
func (w *Writer) WriteRaw(raw []byte) {
	w.sep()
	w.buf = append(w.buf, raw...)
}

// WriteEmpty writes n empty cells.
func (w *Writer) WriteEmpty(n int) {
	if n <= 0 {
		return
	}
	if !w.inRecord {
		w.inRecord = true
		n--
	}
	for ; n > 0; n-- {
		w.buf = append(w.buf, ',')
	}
}

// WriteField writes a value, quoting it when it must be.
func (w *Writer) WriteField(value []byte) {
	w.sep()
	w.buf = AppendField(w.buf, value)
}

// WriteString writes a string value, quoting it when it must be.
func (w *Writer) WriteString(value string) {
	w.sep()
	w.buf = appendFieldString(w.buf, value)
}

// EndRecord ends the current record with "\n", as Splunk writes.
func (w *Writer) EndRecord() {
	w.buf = append(w.buf, '\n')
	w.inRecord = false
}

// AppendField appends value to dst as a CSV cell: quoted, with quotes
// doubled, when it holds a quote, comma, CR or LF, or starts or ends with a
// space or tab (which some CSV readers trim); otherwise as is.
func AppendField(dst, value []byte) []byte {
	if !needsQuotes(value) {
		return append(dst, value...)
	}
	dst = append(dst, '"')
	for {
		i := indexQuote(value)
		if i < 0 {
			break
		}
		dst = append(dst, value[:i+1]...)
		dst = append(dst, '"')
		value = value[i+1:]
	}
	dst = append(dst, value...)
	return append(dst, '"')
}

func appendFieldString(dst []byte, value string) []byte {
	// Values the command writes are short; converting costs nothing that
	// matters next to a chunk, and keeps one quoting routine.
	return AppendField(dst, []byte(value))
}

func needsQuotes(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	if c := v[0]; c == ' ' || c == '\t' {
		return true
	}
	if c := v[len(v)-1]; c == ' ' || c == '\t' {
		return true
	}
	for _, c := range v {
		switch c {
		case '"', ',', '\r', '\n':
			return true
		}
	}
	return false
}

func indexQuote(b []byte) int {
	for i, c := range b {
		if c == '"' {
			return i
		}
	}
	return -1
}
