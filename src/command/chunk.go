package command

import (
	"fmt"
	"slices"
	"unsafe"

	"bitsscore/src/detect"
	"bitsscore/src/splcsv"
)

// A RawExtractor reads a detector's inputs from one event's _raw (raw=t):
// it sets dst[i] to the values of the field names[i], appending their bytes
// to buf, and returns buf grown; dst's values point into it. It returns an
// error when raw is not in a shape it reads: the event then keeps the
// fields Splunk extracted. The session is handed one (the bitsscore binary
// hands it winevent.ExtractXML, Windows event XML as Splunk's Windows and
// Sysmon add-ons read it), so that the protocol layer knows no event format.
type RawExtractor func(raw []byte, names []string, dst []detect.Values, buf []byte) ([]byte, error)

// A chunkScorer turns the CSV body of one execute request into the body of
// its reply: every record, in order, with the detector's outputs set.
//
// Fields the detector does not own are written back as the exact bytes
// Splunk sent (Field.Raw): the command never re-encodes what it does not
// change, so nothing it passes through can be altered, whatever it holds.
type chunkScorer struct {
	det     detect.Detector
	inputs  []string
	outputs []string
	// aliasOf[k] is the input that output k overwrites (CommandLine and
	// Image are both read and set), or -1.
	aliasOf []int

	r splcsv.Reader // by value: its per-record state is under this struct's pad
	w *replyWriter

	// Per chunk: where each input and output lives in the header, and
	// the cells each verdict appends.
	columnLayout
	verdictCache

	in, out []detect.Values
	scratch []byte // decoded values of the current record
	cell    []byte // one encoded output cell

	// extractRaw, when set (raw=t), takes the inputs from each record's
	// _raw, where the add-ons that extract them are not installed.
	extractRaw RawExtractor
	// inFromColumns is true when the current record's inputs were decoded
	// from its own cells, so an unchanged output can reuse those cells.
	inFromColumns bool

	_ falseSharingPad
}

// falseSharingPad ends each structure that one worker writes for every
// record. Workers' structures are allocated one after the other, so without
// it the end of one and the start of the next share a cache line (and the
// line the CPU prefetches with it), and every write by one worker evicts
// the other's copy: measured, the parallel chunk benchmark gained 12% from
// padding only the input and output slices.
type falseSharingPad [128]byte

// padded returns a slice of n zero elements followed by at least a
// falseSharingPad of unused capacity, for the same reason.
func padded[T any](n int) []T {
	var zero T
	extra := (len(falseSharingPad{}) + int(unsafe.Sizeof(zero)) - 1) / int(unsafe.Sizeof(zero))
	return make([]T, n, n+extra)
}

func newChunkScorer(det detect.Detector) *chunkScorer {
	s := &chunkScorer{
		det:     det,
		inputs:  det.Inputs(),
		outputs: det.Outputs(),
		w:       newReplyWriter(),
	}
	s.aliasOf = make([]int, len(s.outputs))
	for k, name := range s.outputs {
		s.aliasOf[k] = slices.Index(s.inputs, name)
	}
	s.in = padded[detect.Values](len(s.inputs))
	s.out = padded[detect.Values](len(s.outputs))
	s.verdicter, _ = det.(detect.Verdicter)
	return s
}

// score scores one body and returns the reply body, which shares body's
// bytes and is valid until the next call. An empty body gets an empty
// reply.
func (s *chunkScorer) score(body []byte) (*replyWriter, error) {
	return s.scoreInto(s.w, body)
}

// scoreInto is score writing the reply into w, which it keeps as its
// writer.
func (s *chunkScorer) scoreInto(w *replyWriter, body []byte) (*replyWriter, error) {
	s.w = w
	s.r.Reset(body)
	s.w.Reset(body)
	header, err := s.r.ReadHeader()
	if err != nil || header == nil {
		return s.w, err
	}
	s.locate(s.r.Header())
	s.writeHeader(header)
	if err := s.scoreRecords(); err != nil {
		return nil, err
	}
	return s.w, nil
}

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

// readRaw makes the scorer take its inputs from _raw (raw=t) with extract.
func (s *chunkScorer) readRaw(extract RawExtractor) { s.extractRaw = extract }

// readHeader reads body's header, for a chunk to be scored in runs: it
// returns the header's fields, a copy of its names (that other scorers may
// share, unlike the Reader's own slice) and the offset of the first record.
// A nil header means an empty body.
func (s *chunkScorer) readHeader(body []byte) (header []splcsv.Field, names []string, recordsStart int, err error) {
	s.r.Reset(body)
	header, err = s.r.ReadHeader()
	if err != nil || header == nil {
		return header, nil, 0, err
	}
	return header, slices.Clone(s.r.Header()), s.r.Offset(), nil
}

// scoreHeaderInto lays out the chunk of the given header and writes its
// reply header into w. The header's fields must be those readHeader
// returned.
func (s *chunkScorer) scoreHeaderInto(w *replyWriter, header []splcsv.Field, names []string) {
	s.w = w
	s.w.Reset(nil)
	s.locate(names)
	s.writeHeader(header)
}

// scoreRunInto scores run, whole records of a chunk whose columns are
// names (laid out beforehand with locate), into w.
func (s *chunkScorer) scoreRunInto(w *replyWriter, run []byte, names []string) error {
	s.w = w
	s.w.Reset(run)
	s.r.ResetRecords(run, names)
	return s.scoreRecords()
}

func (s *chunkScorer) scoreRecords() error {
	for {
		fields, err := s.r.Next()
		if err != nil {
			return err
		}
		if fields == nil {
			return nil
		}
		if err := s.scoreRecord(fields); err != nil {
			return err
		}
	}
}

// locate lays out a chunk whose header is names.
func (s *chunkScorer) locate(names []string) {
	s.columnLayout.locate(names, s.inputs, s.outputs, s.aliasOf)
	s.verdictCache.reset(&s.columnLayout, s.aliasOf)
}

func (s *chunkScorer) scoreRecord(fields []splcsv.Field) error {
	s.scratch = s.scratch[:0]
	s.inFromColumns = s.extractRaw == nil || !s.valuesFromRaw(fields)
	if s.inFromColumns {
		if err := s.valuesFromColumns(fields); err != nil {
			return err
		}
	}
	s.det.Score(s.in, s.out) // sets every output: out needs no clearing
	s.writeRecord(fields)
	return nil
}

// valuesFromRaw extracts the inputs from the record's _raw with the
// session's RawExtractor. It reports false, leaving the inputs to the
// columns, when _raw is absent or not in a shape the extractor reads: the
// search may mix event types, and those events keep their extracted fields.
func (s *chunkScorer) valuesFromRaw(fields []splcsv.Field) bool {
	if s.rawCol < 0 || fields[s.rawCol].IsEmpty() {
		return false
	}
	var raw []byte
	raw, s.scratch = fields[s.rawCol].Value(s.scratch)
	// The values are appended to scratch after raw, which they never
	// overwrite; on an error the inputs are left to the columns.
	var err error
	s.scratch, err = s.extractRaw(raw, s.inputs, s.in, s.scratch)
	return err == nil
}

func (s *chunkScorer) valuesFromColumns(fields []splcsv.Field) error {
	for i := range s.inputs {
		v, err := s.values(fields, s.inCol[i], s.inMV[i], s.in[i][:0])
		if err != nil {
			return fmt.Errorf("field %s: %w", s.inputs[i], err)
		}
		s.in[i] = v
	}
	return nil
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

// values decodes a field of the current record: a non-empty __mv_ cell wins
// over the plain cell; an empty cell is null.
func (s *chunkScorer) values(fields []splcsv.Field, col, mvCol int, dst detect.Values) (detect.Values, error) {
	if mvCol >= 0 && !fields[mvCol].IsEmpty() {
		var mv []byte
		mv, s.scratch = fields[mvCol].Value(s.scratch)
		var err error
		dst, s.scratch, err = splcsv.DecodeMultivalue(mv, dst, s.scratch)
		return dst, err
	}
	if col >= 0 && !fields[col].IsEmpty() {
		var v []byte
		v, s.scratch = fields[col].Value(s.scratch)
		return append(dst, v), nil
	}
	return dst, nil
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
	v := s.out[k]
	switch {
	case len(v) == 0:
		w.WriteRaw(nil)
	case len(v) == 1:
		w.WriteField(v[0])
	default:
		s.cell = splcsv.AppendJoined(s.cell[:0], v)
		w.WriteField(s.cell)
	}
}

func (s *chunkScorer) writeMultivalue(w *replyWriter, k int, fields []splcsv.Field) {
	// An output that passes through shares its input's name, so its __mv_
	// column is the input's too.
	if s.outMV[k] >= 0 && s.passesThrough(k) {
		w.WriteRaw(fields[s.outMV[k]].Raw)
		return
	}
	v := s.out[k]
	if len(v) < 2 {
		w.WriteRaw(nil)
		return
	}
	s.cell = splcsv.AppendMultivalue(s.cell[:0], v)
	w.WriteField(s.cell)
}
