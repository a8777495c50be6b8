package splcsv

import (
	"slices"
	"unsafe"
)

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
	w.buf = AppendField(w.buf, bytesOf(value))
}

// bytesOf returns the bytes of s without copying them, for an encoder to
// read: one quoting routine serves strings and bytes, and a string costs
// no copy.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// WriteValues writes the cell of a field's own column (see
// AppendFieldCell).
func (w *Writer) WriteValues(values [][]byte) {
	w.sep()
	w.buf = AppendFieldCell(w.buf, values)
}

// WriteMultivalue writes the cell of a field's __mv_ companion (see
// AppendMultivalueCell).
func (w *Writer) WriteMultivalue(values [][]byte) {
	w.sep()
	w.buf = AppendMultivalueCell(w.buf, values)
}

// WriteCanonical writes a cell read from another writer as this one would
// have written its value (see AppendCanonical).
func (w *Writer) WriteCanonical(f Field) {
	w.sep()
	w.buf = AppendCanonical(w.buf, f)
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
	dst = appendQuotesDoubled(dst, value)
	return append(dst, '"')
}

// appendQuotesDoubled appends value with every quote doubled: the inside
// of a quoted cell.
func appendQuotesDoubled(dst, value []byte) []byte {
	for {
		i := indexQuote(value)
		if i < 0 {
			return append(dst, value...)
		}
		dst = append(dst, value[:i+1]...)
		dst = append(dst, '"')
		value = value[i+1:]
	}
}

// AppendCanonical appends f as AppendField writes its value: a cell from
// another writer (quoted where this one would not quote, as splunkd quotes
// all but letters and digits) comes out as this package writes it. It
// decodes nothing: CSV escapes only quotes, so a quoted cell whose value
// needs quotes is already canonical, and one whose value does not is its
// inside.
func AppendCanonical(dst []byte, f Field) []byte {
	if !f.quoted {
		return AppendField(dst, f.Raw)
	}
	if f.escaped {
		return append(dst, f.Raw...) // a value with a quote needs quotes
	}
	inner := f.Raw[1 : len(f.Raw)-1]
	if needsQuotes(inner) {
		return append(dst, f.Raw...)
	}
	return append(dst, inner...)
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
	return hasSpecial(v)
}

// hasSpecial reports whether v holds a character that must be quoted
// wherever it stands.
func hasSpecial(v []byte) bool {
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
