package splcsv

// A field is a value plus its multivalue companion. The field's own column
// x holds its one value, or its values joined by "\n"; the companion column
// __mv_x, when the header has it, holds them in DecodeMultivalue's form
// when there are several and is empty for a single value. Either column may
// be absent: a non-empty companion is read even without its own column, as
// splunk-sdk-python's reader does. Every package that pairs the two columns
// finds them with Columns, reads them with DecodeField (cells in place) or
// FieldValues (decoded cells), and writes them with AppendFieldCell and
// AppendMultivalueCell.

// Columns finds a field's columns in a header. Reader.ReadHeader refuses a
// header that names a column twice, as a fatal error of the protocol (a
// search's results never repeat a field name, so splunkd never sends one);
// for a header read otherwise, such as a CSV file given to the command
// line tool, a name's first column is the field's. The reference reader,
// splunk-sdk-python's searchcommands, is no guide there: it keeps the first
// of repeated plain columns when the header has __mv_ columns and the last
// when it has none.
//
// The zero value is empty; Reset indexes a header, reusing the index.
type Columns struct {
	index map[string]int
}

// Reset indexes header.
func (c *Columns) Reset(header []string) {
	if c.index == nil {
		c.index = make(map[string]int, len(header))
	} else {
		clear(c.index)
	}
	for j, name := range header {
		if _, dup := c.index[name]; !dup {
			c.index[name] = j
		}
	}
}

// Column returns the column named name, or -1.
func (c *Columns) Column(name string) int {
	if j, ok := c.index[name]; ok {
		return j
	}
	return -1
}

// Field returns the columns of field name: its own and its __mv_
// companion's, each -1 when the header lacks it.
func (c *Columns) Field(name string) (col, mv int) {
	return c.Column(name), c.Column(MultivaluePrefix + name)
}

// CompanionColumns returns, for each column of header, the column of its
// __mv_ companion, or -1 when it has none.
func CompanionColumns(header []string) []int {
	var c Columns
	c.Reset(header)
	companions := make([]int, len(header))
	for j, name := range header {
		_, companions[j] = c.Field(name)
	}
	return companions
}

// DecodeField appends to dst the values of a field in record, whose own
// column is col and companion's mv (-1 when absent): the companion's values
// when its cell is not empty, else the own cell's one value, else none (a
// null field). Values are sub-slices of the record where they can be and
// are decoded into *scratch, grown as needed, otherwise. (A pointer to the
// scratch, not the slice and its return, keeps every argument and result in
// registers: this runs for every input of every record.)
func DecodeField(record []Field, col, mv int, dst [][]byte, scratch *[]byte) ([][]byte, error) {
	if mv >= 0 && !record[mv].IsEmpty() {
		var cell []byte
		var err error
		cell, *scratch = record[mv].Value(*scratch)
		dst, *scratch, err = DecodeMultivalue(cell, dst, *scratch)
		return dst, err
	}
	if col >= 0 && !record[col].IsEmpty() {
		var v []byte
		v, *scratch = record[col].Value(*scratch)
		return append(dst, v), nil
	}
	return dst, nil
}

// FieldValues is DecodeField for decoded cells: a field's values from its
// own cell and its companion's ("" when the header has no companion). On a
// malformed companion it returns the values decoded before the fault, with
// the error.
func FieldValues(cell, mv string) ([]string, error) {
	if mv != "" {
		vals, _, err := DecodeMultivalue([]byte(mv), nil, nil)
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = string(v)
		}
		return out, err
	}
	if cell != "" {
		return []string{cell}, nil
	}
	return nil, nil
}

// AppendFieldCell appends the cell of a field's own column to dst: nothing
// for a null field, its one value, or its values joined by "\n" (always
// quoted), as AppendField quotes.
func AppendFieldCell(dst []byte, values [][]byte) []byte {
	switch len(values) {
	case 0:
		return dst
	case 1:
		return AppendField(dst, values[0])
	}
	dst = append(dst, '"')
	for k, v := range values {
		if k > 0 {
			dst = append(dst, '\n')
		}
		dst = appendQuotesDoubled(dst, v)
	}
	return append(dst, '"')
}

// AppendMultivalueCell appends the cell of a field's __mv_ companion to
// dst: AppendMultivalue's encoding, quoted as AppendField quotes; nothing
// for fewer than two values, which is how Splunk marks a single value (the
// field's own cell holds it).
func AppendMultivalueCell(dst []byte, values [][]byte) []byte {
	if len(values) < 2 {
		return dst
	}
	// The encoding starts and ends with '$' and adds only '$' and ';', so
	// it needs quotes exactly when a value holds a character that does.
	quoted := false
	for _, v := range values {
		if hasSpecial(v) {
			quoted = true
			break
		}
	}
	if !quoted {
		return appendMultivalue(dst, values, false)
	}
	dst = append(dst, '"')
	dst = appendMultivalue(dst, values, true)
	return append(dst, '"')
}
