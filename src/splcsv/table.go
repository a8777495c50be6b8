package splcsv

import "io"

// A TableWriter writes a table in Splunk's CSV: a header row, then one
// record per row, a field at a time. A field declared with a companion
// gets its __mv_ column right after its own, and each field is encoded by
// AppendFieldCell and AppendMultivalueCell. It is the one table encoder of
// the project: events as CSV, the bodies a driver sends a command, the
// events it merges the replies into, and the command line tool's CSV.
//
// A TableWriter holds what it has written until WriteTo, so a long table is
// written in pieces with bounded memory. The zero value writes records
// without companion columns or a header row, for a table whose header is
// written elsewhere.
type TableWriter struct {
	w          Writer
	companions []bool // per field: an __mv_ column follows its own
	field      int    // the field the next write fills
	values     [][]byte
}

// NewTableWriter returns a TableWriter that has written the header row:
// fields, each followed by its __mv_ companion where companions (nil for
// none) says so.
func NewTableWriter(fields []string, companions []bool) *TableWriter {
	t := &TableWriter{companions: companions}
	for i, name := range fields {
		t.w.WriteString(name)
		if t.hasCompanion(i) {
			t.w.WriteString(MultivaluePrefix + name)
		}
	}
	t.w.EndRecord()
	return t
}

func (t *TableWriter) hasCompanion(field int) bool {
	return field < len(t.companions) && t.companions[field]
}

// Values writes the next field of the record: its own cell and, when it
// has a companion column, the companion's.
func (t *TableWriter) Values(values []string) {
	switch len(values) {
	case 0:
		t.Value("")
		return
	case 1:
		t.Value(values[0])
		return
	}
	t.values = t.values[:0]
	for _, v := range values {
		t.values = append(t.values, bytesOf(v))
	}
	t.w.WriteValues(t.values)
	if t.hasCompanion(t.field) {
		t.w.WriteMultivalue(t.values)
	}
	t.field++
}

// Value writes the next field of the record, with one value; "" is a null
// field. Most cells of most tables are written here, so it writes the cell
// itself (a call less than through Writer.WriteString) and counts fields
// only for a table with companions.
func (t *TableWriter) Value(v string) {
	t.w.sep()
	t.w.buf = AppendField(t.w.buf, bytesOf(v))
	if t.companions != nil {
		if t.hasCompanion(t.field) {
			t.w.WriteEmpty(1)
		}
		t.field++
	}
}

// Cell writes the next field of the record from a cell of another body, as
// this package would write its value (Writer.WriteCanonical). The field
// must have no companion column: a cell of another body is one column.
func (t *TableWriter) Cell(f Field) {
	t.w.WriteCanonical(f)
	t.field++
}

// EndRecord ends the record.
func (t *TableWriter) EndRecord() {
	t.w.EndRecord()
	t.field = 0
}

// Bytes returns what has been written since the last WriteTo.
func (t *TableWriter) Bytes() []byte { return t.w.Bytes() }

// Len returns the number of bytes Bytes holds.
func (t *TableWriter) Len() int { return t.w.Len() }

// WriteTo writes what Bytes holds to w, and empties the TableWriter; the
// record under way, if any, goes on.
func (t *TableWriter) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(t.w.Bytes())
	inRecord := t.w.inRecord
	t.w.Reset()
	t.w.inRecord = inRecord
	return int64(n), err
}
