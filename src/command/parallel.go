package command

import (
	"fmt"
	"runtime/debug"
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
	panics  []*runPanic // per run, a recovered panic
}

// A runPanic is a panic recovered in one run of a parallel scoring, with
// the stack where it happened, carried to the session's goroutine.
type runPanic struct {
	value any
	stack []byte
}

func (p *runPanic) Error() string { return fmt.Sprint(p.value) }

// capturePanic, deferred, records a panic of its goroutine in *dst.
func capturePanic(dst **runPanic) {
	if v := recover(); v != nil {
		*dst = &runPanic{value: v, stack: debug.Stack()}
	}
}

func newParallelScorer(newDetector func() detect.Detector, workers int) *parallelScorer {
	p := &parallelScorer{}
	for i := 0; i < max(workers, 1); i++ {
		p.scorers = append(p.scorers, newChunkScorer(newDetector()))
	}
	p.errs = make([]error, len(p.scorers))
	p.panics = make([]*runPanic, len(p.scorers))
	return p
}

// readRaw makes every worker take its inputs from _raw (raw=t).
func (p *parallelScorer) readRaw() {
	for _, s := range p.scorers {
		s.fromRaw = true
	}
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
	// Every slot exists before any worker starts: appending while they
	// write could move the slice under them and drop a run's reply.
	for range runs {
		p.parts = append(p.parts, nil)
	}
	var wg sync.WaitGroup
	for i := 0; i < runs; i++ {
		run := body[cuts[i]:cuts[i+1]]
		if i == 0 {
			continue // scored below, on this goroutine
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer capturePanic(&p.panics[i])
			p.parts[i+1], p.errs[i] = p.scorers[i].scoreRun(run, names)
		}()
	}
	// The first run writes after the header in the same buffer.
	func() {
		defer capturePanic(&p.panics[0])
		first.r.ResetRecords(body[cuts[0]:cuts[1]], names)
		p.errs[0] = first.scoreRecords()
		p.parts[0], p.parts[1] = nil, first.w.Bytes()
	}()
	wg.Wait()
	// A panic left in a worker kills the process without a word to
	// splunkd; raised again here, once every run is done, it reaches
	// Session.Run, which reports it.
	for i, pv := range p.panics {
		if pv != nil {
			p.panics[i] = nil
			panic(pv)
		}
	}
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
