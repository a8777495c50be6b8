package command

import (
	"slices"
	"sync"

	"bitsscore/src/detect"
	"bitsscore/src/splcsv"
)

// minParallelBody is the smallest body worth splitting: below it, starting
// goroutines costs more than it saves.
const minParallelBody = 1 << 20

// A parallelScorer scores a large chunk on several cores: it splits the
// records into runs at record boundaries and scores each run with its own
// detector (detectors are not safe for concurrent use). The reply is the
// runs' replies in order, so records keep their order.
//
// Splitting must never change an answer. Boundaries come from quote
// parity (splcsv.RecordBoundary); a wrong one, possible only in malformed
// CSV, makes the run before it fail to parse. On any error the chunk is
// scored again in one piece, so errors read exactly as they would without
// the split.
type parallelScorer struct {
	scorers []*chunkScorer
	parts   [][]byte
	errs    []error
}

func newParallelScorer(newDetector func() detect.Detector, workers int) *parallelScorer {
	p := &parallelScorer{}
	for i := 0; i < max(workers, 1); i++ {
		p.scorers = append(p.scorers, newChunkScorer(newDetector()))
	}
	p.errs = make([]error, len(p.scorers))
	return p
}

// score returns the reply body as parts to be sent in order; they are
// valid until the next call.
func (p *parallelScorer) score(body []byte) ([][]byte, error) {
	first := p.scorers[0]
	if len(p.scorers) == 1 || len(body) < minParallelBody {
		return p.sequential(body)
	}
	first.r.Reset(body)
	first.w.Reset()
	header, err := first.r.ReadHeader()
	if err != nil || header == nil {
		return p.sequential(body)
	}
	names := slices.Clone(first.r.Header()) // shared with the other runs: not the Reader's own slice
	start := first.r.Offset()

	// Cut [start, len) into runs of about equal size.
	cuts := []int{start}
	for i := 1; i < len(p.scorers); i++ {
		from := max(start+(len(body)-start)*i/len(p.scorers), cuts[len(cuts)-1])
		b := splcsv.RecordBoundary(body, cuts[len(cuts)-1], from)
		if b < 0 || b >= len(body) {
			break
		}
		cuts = append(cuts, b)
	}
	cuts = append(cuts, len(body))
	if len(cuts) < 3 {
		return p.sequential(body)
	}

	p.parts = p.parts[:0]
	first.locate(names)
	first.writeHeader(header)
	p.parts = append(p.parts, first.w.Bytes())
	runs := len(cuts) - 1
	var wg sync.WaitGroup
	for i := 0; i < runs; i++ {
		p.parts = append(p.parts, nil)
		run := body[cuts[i]:cuts[i+1]]
		if i == 0 {
			continue // scored below, on this goroutine
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.parts[i+1], p.errs[i] = p.scorers[i].scoreRun(run, names)
		}()
	}
	// The first run writes after the header in the same buffer.
	first.r.ResetRecords(body[cuts[0]:cuts[1]], names)
	p.errs[0] = first.scoreRecords()
	p.parts[0], p.parts[1] = nil, first.w.Bytes()
	wg.Wait()
	for i := 0; i < runs; i++ {
		if p.errs[i] != nil {
			return p.sequential(body)
		}
	}
	return p.parts[1:], nil
}

func (p *parallelScorer) sequential(body []byte) ([][]byte, error) {
	reply, err := p.scorers[0].score(body)
	if err != nil {
		return nil, err
	}
	p.parts = append(p.parts[:0], reply)
	return p.parts, nil
}
