package splcsv

import (
	"bytes"
	"fmt"

	"bitsscore/src/internal/textfmt"
)

// A ParseError reports malformed CSV.
type ParseError struct {
	Line int // 1-based line of the body where the record starts
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("csv body, line %d: %s", e.Line, e.Msg) }

// A Field is one cell of a record.
type Field struct {
	// Raw is the cell exactly as written, quotes included.
	Raw []byte
	// quoted is true when Raw is enclosed in quotes; escaped when it also
	// holds a doubled quote, so its value differs from its inner bytes.
	quoted, escaped bool
}

// Quoted reports whether the cell was enclosed in quotes.
func (f Field) Quoted() bool { return f.quoted }

// IsEmpty reports whether the value is empty, that is, the field is null.
func (f Field) IsEmpty() bool { return len(f.Raw) == 0 || (f.quoted && len(f.Raw) == 2) }

// AppendValue appends the cell's value to dst. For an unquoted cell, or a
// quoted one without doubled quotes, the value is a sub-slice of Raw and
// Value returns it without copying; AppendValue always copies.
func (f Field) AppendValue(dst []byte) []byte {
	if !f.quoted {
		return append(dst, f.Raw...)
	}
	inner := f.Raw[1 : len(f.Raw)-1]
	if !f.escaped {
		return append(dst, inner...)
	}
	for len(inner) > 0 {
		i := bytes.IndexByte(inner, '"')
		if i < 0 {
			return append(dst, inner...)
		}
		dst = append(dst, inner[:i+1]...)
		inner = inner[i+2:] // skip the doubling quote
	}
	return dst
}

// Value returns the cell's value, decoding doubled quotes into scratch when
// it must. It returns the (possibly grown) scratch buffer for reuse.
func (f Field) Value(scratch []byte) (value, grown []byte) {
	if !f.quoted {
		return f.Raw, scratch
	}
	if !f.escaped {
		return f.Raw[1 : len(f.Raw)-1], scratch
	}
	start := len(scratch)
	scratch = f.AppendValue(scratch)
	return scratch[start:len(scratch):len(scratch)], scratch
}

// A Reader reads the records of one CSV body. The zero value reads an
// empty body; Reset gives it another.
type Reader struct {
	// Ragged lets a record have more or fewer fields than the header, as
	// a file made by hand may; Next returns them as they are. Splunk's
	// bodies are never ragged, so the protocol leaves it false.
	Ragged bool

	data   []byte
	pos    int
	header []string
	fields []Field
	// record is the span of the last record read, without its line end.
	recStart, recEnd int
}

// NewReader returns a Reader over body. It reads the header at once: Header
// and the first error are available before the first call to Next.
func NewReader(body []byte) *Reader {
	r := &Reader{}
	r.Reset(body)
	return r
}

// Reset makes r read body, reusing its buffers.
func (r *Reader) Reset(body []byte) {
	r.data, r.pos = body, 0
	r.header = r.header[:0]
	r.fields = r.fields[:0]
}

// ResetRecords makes r read records from body, a run of whole records
// without a header row, as columns of header (as returned by Header, and
// not modified). It lets several Readers share one chunk.
func (r *Reader) ResetRecords(body []byte, header []string) {
	r.data, r.pos = body, 0
	r.header = append(r.header[:0], header...)
	r.fields = r.fields[:0]
}

// ReadHeader reads the header row. An empty body has no header: it returns
// nil, nil. Column names must be unique and non-empty.
func (r *Reader) ReadHeader() ([]Field, error) {
	if r.pos >= len(r.data) {
		return nil, nil
	}
	start := r.pos
	fields, err := r.readRecord()
	if err != nil {
		return nil, err
	}
	r.header = r.header[:0]
	seen := make(map[string]struct{}, len(fields))
	for _, f := range fields {
		name := string(f.AppendValue(nil))
		if name == "" {
			return nil, &ParseError{Line: r.lineAt(start), Msg: "header has an empty column name"}
		}
		if _, dup := seen[name]; dup {
			return nil, &ParseError{Line: r.lineAt(start), Msg: fmt.Sprintf("header names column %q twice", textfmt.Clip(name, 60))}
		}
		seen[name] = struct{}{}
		r.header = append(r.header, name)
	}
	return fields, nil
}

// lineAt returns the 1-based line of the body at offset. Lines are counted
// only for error messages, never while scanning: counting the newlines in
// every quoted value would cost a second pass over the data.
func (r *Reader) lineAt(offset int) int {
	return 1 + bytes.Count(r.data[:offset], nl)
}

// Record returns the exact bytes of the last record read by Next or
// ReadHeader, without its line end. A command that changes no cell of a
// record can copy it whole instead of cell by cell.
func (r *Reader) Record() []byte { return r.data[r.recStart:r.recEnd] }

// RecordSpan returns where the last record read by Next or ReadHeader lies
// in the body, without its line end: Record is body[start:end].
func (r *Reader) RecordSpan() (start, end int) { return r.recStart, r.recEnd }

// Header returns the column names read by ReadHeader.
func (r *Reader) Header() []string { return r.header }

// Offset returns the byte offset in the body of the next record.
func (r *Reader) Offset() int { return r.pos }

// Next reads the next record. It returns nil, nil at the end of the body.
// The returned slice is reused by the next call. Every record must have as
// many fields as the header, unless Ragged. A blank line is skipped when the header has
// several columns (it cannot be a record of them) and is a record with one
// empty field when it has one.
func (r *Reader) Next() ([]Field, error) {
	for {
		if r.pos >= len(r.data) {
			return nil, nil
		}
		if len(r.header) > 1 {
			if n := blankLine(r.data[r.pos:]); n > 0 {
				r.pos += n
				continue
			}
		}
		start := r.pos
		fields, err := r.readRecord()
		if err != nil {
			return nil, err
		}
		if len(fields) != len(r.header) && !r.Ragged {
			return nil, &ParseError{Line: r.lineAt(start), Msg: fmt.Sprintf("record has %d fields, the header has %d", len(fields), len(r.header))}
		}
		return fields, nil
	}
}

// blankLine returns the length of the line terminator at the start of b, or 0.
func blankLine(b []byte) int {
	switch {
	case len(b) >= 1 && b[0] == '\n':
		return 1
	case len(b) >= 2 && b[0] == '\r' && b[1] == '\n':
		return 2
	}
	return 0
}

// readRecord scans one record starting at r.pos.
func (r *Reader) readRecord() ([]Field, error) {
	r.fields = r.fields[:0]
	data := r.data
	pos := r.pos
	r.recStart = pos
	for {
		// An empty cell before a comma, the commonest cell of wide rows
		// (an event lacks most of a search's fields): no search needed.
		if pos < len(data) && data[pos] == ',' {
			r.fields = append(r.fields, Field{Raw: data[pos:pos]})
			pos++
			continue
		}
		var end int // where this field's raw bytes end
		if pos < len(data) && data[pos] == '"' {
			// Quoted: find the closing quote, skipping doubled ones.
			start := pos
			pos++
			escaped := false
			for {
				i := bytes.IndexByte(data[pos:], '"')
				if i < 0 {
					return nil, &ParseError{Line: r.lineAt(r.recStart), Msg: "quoted field is never closed"}
				}
				pos += i + 1
				if pos < len(data) && data[pos] == '"' {
					escaped = true
					pos++
					continue
				}
				break
			}
			end = pos
			r.fields = append(r.fields, Field{Raw: data[start:end], quoted: true, escaped: escaped})
			if pos < len(data) && data[pos] != ',' && data[pos] != '\n' && !(data[pos] == '\r' && pos+1 < len(data) && data[pos+1] == '\n') {
				return nil, &ParseError{Line: r.lineAt(pos), Msg: fmt.Sprintf("unexpected %q after a closing quote", data[pos])}
			}
		} else {
			// Unquoted: up to a comma or the end of the line. A lone "\r"
			// is data, but "\r"s that end the line (before its "\n" or
			// the end of the body) are its terminator, as in Python's
			// csv: a cell ending in "\r" could not be written back before
			// a "\n" without changing value.
			start := pos
			i := indexCommaOrNewline(data[pos:])
			if i < 0 {
				pos = len(data)
			} else {
				pos += i
			}
			end = pos
			for (pos == len(data) || data[pos] == '\n') && end > start && data[end-1] == '\r' {
				end--
			}
			r.fields = append(r.fields, Field{Raw: data[start:end]})
		}
		if pos >= len(data) {
			r.pos, r.recEnd = pos, end
			return r.fields, nil
		}
		switch data[pos] {
		case ',':
			pos++
			continue
		case '\r': // the "\r" of "\r\n" after a quoted field
			pos++
		}
		// data[pos] is the '\n' that ends the record.
		r.pos, r.recEnd = pos+1, end
		return r.fields, nil
	}
}

var nl = []byte{'\n'}

// indexCommaOrNewline returns the index of the first ',' or '\n' in b, or -1.
func indexCommaOrNewline(b []byte) int {
	for i, c := range b {
		if c == ',' || c == '\n' {
			return i
		}
	}
	return -1
}

// A BoundaryScan finds record boundaries by quote parity, in a body that
// may grow as it arrives: a "\n" ends a record when an even number of
// quotes precede it since the record the scan started at, as quoted fields
// open and close with one quote and escape with two. It looks at each byte
// once, however the body is cut into arrivals, so that searching a body
// read a byte at a time costs what searching it whole does. The zero value
// starts at offset 0, outside quotes.
//
// Parity is exact for well-formed CSV. A stray quote in an unquoted field
// (which Reader tolerates) can mislead it; a caller that splits a body at
// a boundary must check that the part before it parses cleanly, which it
// does exactly when the boundary is real.
type BoundaryScan struct {
	pos      int  // the bytes before pos are accounted for
	inQuotes bool // quote parity at pos
}

// StartAt restarts the scan at offset at, a record start.
func (s *BoundaryScan) StartAt(at int) { s.pos, s.inQuotes = at, false }

// Next returns the first record start after from, in body as far as it
// has arrived, or -1 when none has arrived yet: then a later call, with
// more of the same body, goes on where this one stopped. from counts only
// when it is past where the scan has got to; bytes skipped to reach it are
// counted for parity, not searched. body must be the same bytes each
// call, grown.
func (s *BoundaryScan) Next(body []byte, from int) int {
	if from = min(from, len(body)); from > s.pos {
		s.inQuotes = s.inQuotes != (bytes.Count(body[s.pos:from], []byte{'"'})%2 == 1)
		s.pos = from
	}
	for ; s.pos < len(body); s.pos++ {
		switch body[s.pos] {
		case '"':
			s.inQuotes = !s.inQuotes
		case '\n':
			if !s.inQuotes {
				s.pos++
				return s.pos
			}
		}
	}
	return -1
}
