package command

import (
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"bitsscore/src/detect"
)

// minParallelBody is the smallest body worth splitting: below it, starting
// goroutines costs more than it saves.
const minParallelBody = 1 << 20

// A parallelScorer scores a large chunk on several cores: it splits the
// records into runs at record boundaries and scores each run with its own
// detector (detectors are not safe for concurrent use). The reply is the
// runs' replies in order, so records keep their order. The split is the
// arrival's (arrival.go): a chunk that came whole is cut as one that is
// still arriving would be, all at once.
//
// Splitting must never change an answer. Boundaries come from quote
// parity (splcsv.BoundaryScan); a wrong one, possible only in malformed
// CSV, makes the run before it fail to parse. On any error the chunk is
// scored again in one piece, so errors read exactly as they would without
// the split.
type parallelScorer struct {
	scorers []*chunkScorer
	// The reply buffers: a reply is written before the next chunk is
	// scored, so one set serves every chunk, warm.
	replies replyBuffers
	errs    []error     // per worker, the error that stopped it
	panics  []*runPanic // per worker, a recovered panic
	// encodedShare is the most bytes a reply has encoded per KiB of its
	// request in this session (see reserve).
	encodedShare atomic.Int64
	// arriving is the chunk being scored, split (arrival.go).
	arriving arrival
}

// replyBuffers are the reply buffers. header holds a split chunk's reply
// header, and runs[i] the reply to its run i, whichever worker scores it:
// runs are of one length (arrivalRunBytes), so each buffer settles at
// about one run's reply and stays there however the runs fall to the
// workers. single is the buffer of a chunk scored in one piece.
type replyBuffers struct {
	header, single *replyWriter
	runs           []*replyWriter
	parts          reply
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
	p.replies.header, p.replies.single = newReplyWriter(), newReplyWriter()
	return p
}

// readRaw makes every worker take its inputs from _raw (raw=t) with
// extract.
func (p *parallelScorer) readRaw(extract RawExtractor) {
	for _, s := range p.scorers {
		s.readRaw(extract)
	}
}

// score returns the reply to body, whole, in parts to be sent in order.
// It shares body's bytes and the scorer's reply buffers, and stays valid
// until the next call.
func (p *parallelScorer) score(body []byte) (reply, error) {
	r, _, err := p.beginArrival().finish(body)
	return r, err
}

// scoreRun scores one run with s into w.
func (p *parallelScorer) scoreRun(s *chunkScorer, w *replyWriter, run []byte, names []string) error {
	p.reserve(w, len(run))
	err := s.scoreRunInto(w, run, names)
	p.learn(w, len(run))
	return err
}

// raisePanics raises again, on the session's goroutine, a panic a worker
// recovered. A panic left in a worker kills the process without a word to
// splunkd; raised here, once every run is done, it reaches Session.Run,
// which reports it.
func (p *parallelScorer) raisePanics() {
	for w, pv := range p.panics {
		if pv != nil {
			p.panics[w] = nil
			panic(pv)
		}
	}
}

func (p *parallelScorer) sequential(body []byte, set *replyBuffers) (reply, error) {
	p.reserve(set.single, len(body))
	reply, err := p.scorers[0].scoreInto(set.single, body)
	if err != nil {
		return nil, err
	}
	p.learn(set.single, len(body))
	set.parts = append(set.parts[:0], reply)
	return set.parts, nil
}

// maxEncodedShare caps encodedShare, per KiB: a reply that encoded more
// than twice its request is no measure of the next.
const maxEncodedShare = 2 << 10

// reserve sizes w, before it takes the reply to a request of the given
// length, by the most any reply of the session has encoded for its
// request's length. A reply writer otherwise makes room for a sixth of its
// request, what the default detector appends to a process event, and grows
// by doubling past it; mode=hardened appends about two thirds, and each
// doubling copies what came before into memory touched for the first time,
// a page fault per page. Runs learn from the runs before them, so a
// session's first chunk gains too.
func (p *parallelScorer) reserve(w *replyWriter, request int) {
	w.Reserve(max(int(int64(request)*min(p.encodedShare.Load(), maxEncodedShare)>>10), request/appendedBytesPer))
}

// learn records what w encoded for a request of the given length.
func (p *parallelScorer) learn(w *replyWriter, request int) {
	if request == 0 {
		return
	}
	share := (int64(len(w.Encoded()))<<10 + int64(request) - 1) / int64(request) // rounded up
	for {
		old := p.encodedShare.Load()
		if share <= old || p.encodedShare.CompareAndSwap(old, share) {
			return
		}
	}
}
