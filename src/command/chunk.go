package command

import (
	"slices"
	"unsafe"

	"bitsscore/src/detect"
	"bitsscore/src/splcsv"
)

// A chunkScorer turns the CSV body of one execute request into the body of
// its reply: every record, in order, with the detector's outputs set.
//
// Fields the detector does not own are written back as the exact bytes
// Splunk sent (Field.Raw): the command never re-encodes what it does not
// change, so nothing it passes through can be altered, whatever it holds.
type chunkScorer struct {
	det     detect.Detector
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

	// The current record's inputs, and its outputs.
	inputDecoder
	out []detect.Values

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
		det:          det,
		outputs:      det.Outputs(),
		w:            newReplyWriter(),
		inputDecoder: inputDecoder{inputs: det.Inputs()},
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
	if err := s.decode(fields, &s.columnLayout); err != nil {
		return err
	}
	s.det.Score(s.in, s.out) // sets every output: out needs no clearing
	s.writeRecord(fields)
	return nil
}
