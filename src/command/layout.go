package command

import "bitsscore/src/splcsv"

// A columnLayout says where a detector's inputs and outputs live in one
// chunk's header, and so what the reply writes in each column. Splunk may
// send the columns in any order, and with or without __mv_ companions, so
// the layout is found again for every chunk.
type columnLayout struct {
	inCol, inMV   []int // column of input i and of its __mv_ companion, or -1
	outCol, outMV []int // likewise for output k
	role          []columnRole
	rawCol        int // the column of _raw, or -1
	// appendValue and appendMV list the outputs whose cells are appended
	// to each record, because the chunk lacks their columns.
	appendValue, appendMV []int
	// present lists the outputs that already have a column in the chunk.
	// When each of them passes through, a record is copied whole.
	present []int
	// copyable is false when some present output can never pass through
	// (a column the detector sets but does not read, such as IsBitsAdmin).
	copyable bool

	columns splcsv.Columns // the header's index, reused from chunk to chunk
}

// columnRole says what to write in a column of the input header.
type columnRole struct {
	output int  // the output this column carries, or -1 to pass it through
	mv     bool // the column is the output's __mv_ companion
}

// locate lays out a chunk whose header is names, for a detector with the
// given inputs and outputs; aliasOf[k] is the input that output k
// overwrites, or -1. It reuses the layout's slices.
//
// Columns are found by splcsv.Columns, which finds an __mv_ companion
// without its field's own column too (a field Splunk sent only as
// multivalue). A header that names a column twice never gets here: the
// Reader refuses it.
func (l *columnLayout) locate(names, inputs, outputs []string, aliasOf []int) {
	l.columns.Reset(names)
	l.inCol, l.inMV = l.inCol[:0], l.inMV[:0]
	for _, name := range inputs {
		col, mv := l.columns.Field(name)
		l.inCol = append(l.inCol, col)
		l.inMV = append(l.inMV, mv)
	}
	l.outCol, l.outMV = l.outCol[:0], l.outMV[:0]
	l.role = l.role[:0]
	for range names {
		l.role = append(l.role, columnRole{output: -1})
	}
	l.rawCol = l.columns.Column("_raw")
	l.appendValue, l.appendMV = l.appendValue[:0], l.appendMV[:0]
	l.present, l.copyable = l.present[:0], true
	for k, name := range outputs {
		j, m := l.columns.Field(name)
		l.outCol = append(l.outCol, j)
		l.outMV = append(l.outMV, m)
		if j >= 0 {
			l.role[j] = columnRole{output: k}
		}
		if m >= 0 {
			l.role[m] = columnRole{output: k, mv: true}
		}
		if j < 0 {
			l.appendValue = append(l.appendValue, k)
		}
		if m < 0 {
			l.appendMV = append(l.appendMV, k)
		}
		if j >= 0 || m >= 0 {
			l.present = append(l.present, k)
			l.copyable = l.copyable && aliasOf[k] >= 0
		}
	}
}
