package command

import (
	"bitsscore/src/splcsv"
)

// Output encoding: the reply's header and records, with the detector's
// outputs set and everything else as Splunk sent it.

// writeHeader writes the reply's header: the chunk's columns as Splunk
// sent them, then the outputs the chunk lacks, then their __mv_ companions.
func (s *chunkScorer) writeHeader(header []splcsv.Field) {
	for _, f := range header {
		s.w.WriteRaw(f.Raw)
	}
	for k, name := range s.outputs {
		if s.outCol[k] < 0 {
			s.w.WriteString(name)
		}
	}
	for k, name := range s.outputs {
		if s.outMV[k] < 0 {
			s.w.WriteString(splcsv.MultivaluePrefix + name)
		}
	}
	s.w.EndRecord()
}

func (s *chunkScorer) writeRecord(fields []splcsv.Field) {
	if s.recordPassesThrough() {
		// Nothing in the record changes: send it as Splunk sent it, from
		// the request itself, and append the new cells. This is the common
		// case, and the fast one.
		s.w.WriteFromSource(s.r.RecordSpan())
	} else {
		s.writeCells(fields)
	}
	if v := s.verdict(s.out); v >= 0 {
		s.w.WriteRaw(s.cellsOfVerdict(v, fields))
	} else {
		s.writeAppended(s.w, fields)
	}
	s.w.EndRecord()
}

// cellsOfVerdict returns the appended cells of verdict v, the last
// Score's, encoding them the first time the verdict is seen in the chunk.
// Written with WriteRaw they read exactly as writeAppended would have
// written them.
func (s *chunkScorer) cellsOfVerdict(v int, fields []splcsv.Field) []byte {
	if cells, ok := s.cached(v); ok {
		return cells
	}
	s.writeAppended(s.builder(), fields)
	return s.store(v)
}

// writeAppended writes the cells of the outputs the chunk lacks, after the
// record's own.
func (s *chunkScorer) writeAppended(w *replyWriter, fields []splcsv.Field) {
	for _, k := range s.appendValue {
		s.writeValue(w, k, fields)
	}
	// A single value's __mv_ cell is empty: write runs of them at once.
	empty := 0
	for _, k := range s.appendMV {
		if len(s.out[k]) < 2 {
			empty++
			continue
		}
		w.WriteEmpty(empty)
		empty = 0
		s.writeMultivalue(w, k, fields)
	}
	w.WriteEmpty(empty)
}

func (s *chunkScorer) recordPassesThrough() bool {
	if !s.copyable {
		return false
	}
	for _, k := range s.present {
		if !s.passesThrough(k) {
			return false
		}
	}
	return true
}

// writeCells writes the record's cells one by one, setting the outputs.
func (s *chunkScorer) writeCells(fields []splcsv.Field) {
	for j, f := range fields {
		role := s.role[j]
		switch {
		case role.output < 0:
			s.w.WriteRaw(f.Raw)
		case role.mv:
			s.writeMultivalue(s.w, role.output, fields)
		default:
			s.writeValue(s.w, role.output, fields)
		}
	}
}

// passesThrough reports whether output k is exactly the input it overwrites
// (coalesce returned the field itself, or a null input stays empty): then
// the cells Splunk sent are written back untouched, which is both exact and
// the cheapest path.
func (s *chunkScorer) passesThrough(k int) bool {
	i := s.aliasOf[k]
	if i < 0 || !s.inFromColumns {
		return false
	}
	a, b := s.out[k], s.in[i]
	if len(b) == 0 {
		// A null input: its cells are empty, and so is an empty output.
		return len(a) == 0 || (len(a) == 1 && len(a[0]) == 0)
	}
	if len(a) != len(b) {
		return false
	}
	for n := range a {
		if len(a[n]) != len(b[n]) || (len(a[n]) > 0 && &a[n][0] != &b[n][0]) {
			return false
		}
	}
	return true
}

func (s *chunkScorer) writeValue(w *replyWriter, k int, fields []splcsv.Field) {
	if s.outCol[k] >= 0 && s.passesThrough(k) {
		w.WriteRaw(fields[s.outCol[k]].Raw)
		return
	}
	w.WriteValues(s.out[k])
}

func (s *chunkScorer) writeMultivalue(w *replyWriter, k int, fields []splcsv.Field) {
	// An output that passes through shares its input's name, so its __mv_
	// column is the input's too.
	if s.outMV[k] >= 0 && s.passesThrough(k) {
		w.WriteRaw(fields[s.outMV[k]].Raw)
		return
	}
	w.WriteMultivalue(s.out[k])
}
