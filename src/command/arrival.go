package command

import (
	"sync"
	"sync/atomic"

	"bitsscore/src/splcsv"
)

// Splitting a chunk, while it arrives.
//
// splunkd writes a request into the pipe and waits for the whole reply,
// so a large chunk takes a while to cross, and until its last byte is in
// nothing of it would be scored. Instead, once a large chunk's header and
// a run of its records have arrived, a second worker scores that run while
// the session's goroutine reads on. When the chunk is whole, the rest is
// cut into runs too, and every worker, the session's goroutine included,
// takes the runs nobody has taken yet, in turn: the early worker does not
// hold up the chunk with runs it queued but had no time for. The reply is
// the runs' replies in order, byte for byte the reply of the whole chunk.
//
// A chunk that came whole (one read, or a peer that wrote ahead) is split
// the same way, all at once (finish). The runs are cut by quote parity, and
// any error, in any run, scores the whole chunk again in one piece, so that
// replies and error messages never depend on how the chunk was split or
// arrived.

// arrivalRunBytes is the length of a run: each ends at the first record
// boundary this far past its start. A hand-off costs a wake-up, so a run
// must be long; and runs of one length keep each reply buffer, used again
// chunk after chunk, at about one run's reply, whatever sizes the reads
// came in.
const arrivalRunBytes = 256 << 10

// maxEarlyHeader is how much of a chunk may arrive before its header ends
// for the chunk to be scored as it arrives.
const maxEarlyHeader = 1 << 20

// An arrival is the state of one chunk scored as it arrives.
//
// The session's goroutine cuts runs and publishes them; workers claim
// them. bounds is made whole before any worker starts, and only its
// elements are written after: bounds[i+1] is written before published is
// raised past i, and read only by a worker that has seen it raised.
type arrival struct {
	p       *parallelScorer
	active  bool     // runs are being cut and scored
	refused bool     // the chunk is scored when whole (too small, no header, one worker)
	body    []byte   // the chunk's buffer, at its final capacity
	names   []string // the chunk's columns
	start   int      // where its records begin
	bounds  []int    // bounds[i] and bounds[i+1] bound run i
	cuts    int      // bounds set so far (the session's goroutine's count)
	// scan finds the header's end, then each run's, looking at each byte
	// once however the chunk is cut into reads: a peer that trickles a
	// chunk in costs what one that sends it whole does.
	scan      splcsv.BoundaryScan
	headerEnd int // where the header ends, once it has arrived; 0 before

	published atomic.Int64 // runs that may be claimed
	claimed   atomic.Int64 // runs claimed
	whole     atomic.Bool  // the chunk is whole: no more runs will be published
	aborted   atomic.Bool  // the chunk will not be answered: claim nothing more
	wake      chan struct{}
	done      sync.WaitGroup
}

// beginArrival starts a chunk that may be scored as it arrives.
func (p *parallelScorer) beginArrival() *arrival {
	p.arriving = arrival{p: p, refused: len(p.scorers) < 2}
	return &p.arriving
}

// arrived is told of body so far and its declared length (scp's
// ReadMessageFunc). It publishes every run that has arrived whole.
func (a *arrival) arrived(body []byte, length int) {
	if a.refused || len(body) == length {
		return // the whole chunk is here: finish cuts what is left
	}
	if !a.active {
		// Only a large chunk, only once its header is whole (a header
		// of a MiB is no header), and only once its buffer is the one it
		// will stay in (scp grows a buffer to the declared length once
		// the first MiB has come).
		if length < minParallelBody {
			a.refused = true
			return
		}
		if a.headerEnd == 0 {
			if a.headerEnd = a.scan.Next(body, 0); a.headerEnd < 0 {
				a.headerEnd, a.refused = 0, len(body) >= maxEarlyHeader
				return
			}
		}
		if cap(body) < length || len(body) < a.headerEnd+arrivalRunBytes {
			return
		}
		if !a.begin(body, length) {
			return
		}
	}
	for {
		end := a.scan.Next(body, a.bounds[a.cuts-1]+arrivalRunBytes)
		if end < 0 {
			return // the next run has not all arrived
		}
		a.bounds[a.cuts] = end
		a.cuts++
		a.published.Store(int64(a.cuts - 1))
		select {
		case a.wake <- struct{}{}:
		default: // the worker has a wake-up pending already
		}
	}
}

// beginWhole begins a chunk that is whole as one that arrives, and
// reports whether it can be split.
func (a *arrival) beginWhole(body []byte) bool {
	if a.refused || len(body) < minParallelBody {
		return false
	}
	if a.headerEnd == 0 {
		if a.headerEnd = a.scan.Next(body, 0); a.headerEnd < 0 {
			return false
		}
	}
	return a.begin(body, len(body))
}

// begin reads the chunk's header, which has arrived, writes the reply's
// header and starts the early worker. It reports false, and the chunk is
// scored when whole, when the header cannot be read.
func (a *arrival) begin(body []byte, length int) bool {
	p := a.p
	header, names, start, err := p.scorers[0].readHeader(body[:a.headerEnd])
	if err != nil || header == nil || start != a.headerEnd {
		a.refused = true
		return false
	}
	a.scan.StartAt(start)
	p.scorers[0].scoreHeaderInto(p.replies.header, header, names)
	for _, s := range p.scorers[1:] {
		s.locate(names)
	}
	for w := range p.scorers {
		p.errs[w], p.panics[w] = nil, nil
	}
	// Room for every run the chunk can have (all but the last at least
	// arrivalRunBytes), and a reply buffer for each, made now, so that no
	// worker reads a slice that grows.
	maxRuns := (length-start)/arrivalRunBytes + 1
	a.bounds = make([]int, maxRuns+1)
	a.bounds[0], a.cuts = start, 1
	for len(p.replies.runs) < maxRuns {
		p.replies.runs = append(p.replies.runs, newReplyWriter())
	}
	a.body, a.names, a.start = body[:length:length], names, start
	a.wake = make(chan struct{}, 1)
	a.done.Add(1)
	go func() {
		defer a.done.Done()
		a.work(1)
	}()
	a.active = true
	return true
}

// work claims runs and scores them with worker w's scorer until the chunk
// is whole and every run is claimed, or a run fails. Only the early
// worker waits for runs to be published; others come once all are.
func (a *arrival) work(w int) {
	p := a.p
	defer capturePanic(&p.panics[w])
	s, runs := p.scorers[w], p.replies.runs
	for p.errs[w] == nil && !a.aborted.Load() {
		i := a.claimed.Load()
		if i < a.published.Load() {
			if !a.claimed.CompareAndSwap(i, i+1) {
				continue // another worker took it
			}
			// The body's bytes up to a published bound have arrived and
			// never change; the bytes after it may be arriving now.
			run := a.body[a.bounds[i]:a.bounds[i+1]]
			p.errs[w] = p.scoreRun(s, runs[i], run, a.names)
			continue
		}
		if a.whole.Load() {
			return
		}
		<-a.wake // a run was published, or the chunk is whole
	}
}

// stop ends the early worker, for a chunk that will not be answered, and
// waits for it: it finishes the run it is scoring and takes no other. Its
// panic, if it had one, is raised again here.
func (a *arrival) stop() {
	if !a.active {
		return
	}
	a.aborted.Store(true)
	a.whole.Store(true)
	close(a.wake)
	a.done.Wait()
	a.active = false
	a.p.raisePanics()
}

// finish scores body, now whole: the rest is cut into runs, and every
// worker takes the runs not yet taken. A chunk nothing of which was handed
// out as it arrived is split now, whole, or scored in one piece when it is
// too small to split (or its header cannot be read). finish returns the
// reply, and how many bytes of records were handed out as runs before the
// chunk was whole.
func (a *arrival) finish(body []byte) (reply, int, error) {
	p := a.p
	if !a.active && !a.beginWhole(body) {
		r, err := p.sequential(body, &p.replies)
		return r, 0, err
	}
	early := a.bounds[a.cuts-1] - a.start // handed out before the chunk was whole
	// Cut the rest into runs as the early ones were cut.
	for {
		end := a.scan.Next(body, a.bounds[a.cuts-1]+arrivalRunBytes)
		if end < 0 || end >= len(body) {
			break
		}
		a.bounds[a.cuts] = end
		a.cuts++
	}
	if a.bounds[a.cuts-1] < len(body) {
		a.bounds[a.cuts] = len(body)
		a.cuts++
	}
	runs := a.cuts - 1
	a.published.Store(int64(runs))
	a.whole.Store(true)
	close(a.wake)
	var wg sync.WaitGroup
	for w := 2; w < len(p.scorers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.work(w)
		}()
	}
	a.work(0)
	wg.Wait()
	a.done.Wait()
	a.active = false
	p.raisePanics()
	for _, err := range p.errs {
		if err != nil {
			r, err := p.sequential(body, &p.replies)
			return r, 0, err
		}
	}
	p.replies.parts = append(append(p.replies.parts[:0], p.replies.header), p.replies.runs[:runs]...)
	return p.replies.parts, early, nil
}
