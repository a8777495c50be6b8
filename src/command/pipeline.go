package command

import (
	"fmt"
	"io"
	"runtime/debug"
	"sync"

	"bitsscore/src/scp"
)

// The execute loop runs three stages, one goroutine each, so that on a
// search that keeps the command busy every core has work: while the
// scorer scores chunk N+1, the writer writes the reply to chunk N, and the
// reader then reads chunk N+2 into the buffer that reply frees.
//
// A reply shares its request's bytes (replyWriter), so a request buffer
// goes back to the reader only once its reply is written, and the scorer
// alternates between two sets of reply buffers (parallelScorer). Memory is
// therefore two request bodies and two replies' new cells: about two and a
// half chunks in the common case, and never more than four chunks (when
// every record is rewritten cell by cell), the budget docs/performance.md
// sets.
//
// splunkd itself runs in lockstep: it sends a request only once it has
// read the reply to the one before. Then one request buffer and one set of
// reply buffers are enough, and using the same ones again matters: a
// buffer's memory is paid for the first time it is touched (a page fault
// per page, the largest cost of a session's first chunks), and the second
// of each would be paid for again on the second chunk. So buffers come
// from warmPools, which hand out the one given back last; the reader takes
// one only once the next request has begun to arrive, and the writer gives
// both back as soon as the reply's bytes have left them, before its last
// write: by the time splunkd has read the whole reply, they are free.
//
// Replies go out in request order, one per request. Any failure stops the
// loop only after the replies before it are written, so that an error
// reply, written by Session.Run once the loop returns, follows them.

// LimitMemory, when set, is told the memory the process may use each time
// a larger chunk arrives: four times the largest chunk plus 32 MiB, the
// budget docs/performance.md sets, less memoryHeadroom. The bitsscore
// binary sets it to debug.SetMemoryLimit, so that the garbage collector
// works harder as the heap nears the budget instead of letting it grow to
// twice what is live (hardened mode leaves garbage behind every record).
// Tests that run sessions inside their own process leave it nil: one
// session's budget must not bind the test binary.
var LimitMemory func(bytes int64) int64

// memoryBudget is the memory a session may use for chunks of up to n bytes.
func memoryBudget(n int) int64 { return 4*int64(n) + 32<<20 }

// memoryHeadroom is the part of the budget left outside the Go runtime's
// memory limit, for what the limit does not count: the binary's own pages
// and the threads' stacks.
const memoryHeadroom = 16 << 20

type inbound struct {
	msg *scp.Message
	err error
}

// requestBuffers is how many request bodies the loop holds: one being
// scored and one being read or written. A third would let reading overlap
// writing as well, for a whole chunk more memory.
const requestBuffers = 2

// An outbound reply, with the request whose bytes it shares and the set of
// reply buffers it was scored into.
type outbound struct {
	msg   *scp.Message
	set   int
	meta  []byte
	body  reply
	chunk int
}

// executeLoop answers execute requests until the input ends.
func (s *Session) executeLoop(scorer *parallelScorer) (err error) {
	free := newWarmPool[*scp.Message](requestBuffers)
	for range requestBuffers {
		free.put(&scp.Message{})
	}
	if s.GrowPipes != nil && s.in.Await() == nil {
		s.log.printf("%s", s.GrowPipes())
	}
	in := make(chan inbound, 1)
	go readAhead(s.in, free, in)

	replySets := newWarmPool[int](len(scorer.replies))
	for i := range len(scorer.replies) {
		replySets.put(len(scorer.replies) - 1 - i) // set 0 first
	}
	replies := make(chan outbound)
	w := &replyLoop{out: s.out, failed: make(chan struct{}), done: make(chan struct{})}
	go w.run(replies, free, replySets)
	defer func() {
		close(replies)
		<-w.done // every reply before the end is written
		if w.panic != nil {
			panic(w.panic) // raised again here, Session.Run reports it
		}
		if err == nil {
			err = w.err
		}
	}()

	largest := -1
	for chunk := 1; ; chunk++ {
		var item inbound
		select {
		case item = <-in:
		case <-w.failed:
			return nil // the deferred wait returns the writer's error
		}
		if item.err == io.EOF {
			s.log.printf("end of input after %d chunks", chunk-1)
			return nil
		}
		if item.err != nil {
			return fmt.Errorf("bitsscore: reading chunk %d: %w", chunk, item.err)
		}
		if n := len(item.msg.Body); n > largest && LimitMemory != nil {
			largest = n
			LimitMemory(memoryBudget(n) - memoryHeadroom)
		}
		req, err := scp.DecodeRequest(item.msg.Metadata)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %w", chunk, err)
		}
		if req.Action != scp.ActionExecute {
			return fmt.Errorf("bitsscore: protocol error: chunk %d is a second %q request", chunk, req.Action)
		}
		var set int
		select {
		case <-replySets.ready:
			set = replySets.take()
		case <-w.failed:
			return nil
		}
		body, err := scorer.scoreInto(item.msg.Body, set)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %w", chunk, err)
		}
		s.log.printf("chunk %d: %d bytes in, %d bytes out, finished=%t", chunk, len(item.msg.Body), body.Len(), req.Finished)
		select {
		case replies <- outbound{msg: item.msg, set: set, meta: finishedMeta(req.Finished), body: body, chunk: chunk}:
		case <-w.failed:
			return nil
		}
	}
}

// A replyLoop writes replies in order until its channel closes. After a
// write fails it writes nothing more but still hands back the buffers of
// the replies it drops, so that no stage waits forever; failed tells the
// scorer to stop.
type replyLoop struct {
	out      *scp.Writer
	err      error     // the first write error, as errReported
	panic    *runPanic // a panic while writing
	failed   chan struct{}
	failOnce sync.Once
	done     chan struct{}
}

func (w *replyLoop) run(replies <-chan outbound, free *warmPool[*scp.Message], replySets *warmPool[int]) {
	defer close(w.done)
	defer func() {
		if v := recover(); v != nil {
			w.panic = &runPanic{value: v, stack: debug.Stack()}
			w.fail()
		}
	}()
	for r := range replies {
		body := &releasingBody{reply: r.body, release: func() {
			replySets.put(r.set)
			free.put(r.msg)
		}}
		if w.err == nil {
			if err := w.out.WriteMessageBody(r.meta, body); err != nil {
				w.err = errReported{fmt.Errorf("writing the reply to chunk %d: %w", r.chunk, err)}
				w.fail()
			}
		}
		body.releaseOnce()
	}
}

func (w *replyLoop) fail() { w.failOnce.Do(func() { close(w.failed) }) }

// A releasingBody gives its buffers back once its bytes have been written
// out of them, which is before the writer's last write of the message.
type releasingBody struct {
	reply
	release  func()
	released bool
}

func (b *releasingBody) WriteTo(dst io.Writer) (int64, error) {
	n, err := b.reply.WriteTo(dst)
	b.releaseOnce()
	return n, err
}

func (b *releasingBody) releaseOnce() {
	if !b.released {
		b.released = true
		b.release()
	}
}

// readAhead reads requests until the input ends or fails; the last item it
// sends carries the error (io.EOF at a clean end). It takes a buffer only
// once a request has begun to arrive, so that it takes the one given back
// last.
func readAhead(r *scp.Reader, free *warmPool[*scp.Message], in chan<- inbound) {
	for {
		if err := r.Await(); err != nil {
			in <- inbound{err: err}
			return
		}
		<-free.ready
		msg := free.take()
		err := r.ReadMessageInto(msg)
		in <- inbound{msg: msg, err: err}
		if err != nil {
			return
		}
	}
}

// A warmPool holds buffers and hands out the one given back last: the one
// whose memory is most likely still mapped and in cache. ready holds a
// token per buffer in the pool; a receive from it entitles one take.
type warmPool[T any] struct {
	mu    sync.Mutex
	items []T
	ready chan struct{}
}

func newWarmPool[T any](size int) *warmPool[T] {
	return &warmPool[T]{ready: make(chan struct{}, size)}
}

func (p *warmPool[T]) put(v T) {
	p.mu.Lock()
	p.items = append(p.items, v)
	p.mu.Unlock()
	p.ready <- struct{}{}
}

// take returns the buffer given back last; only after a receive from ready.
func (p *warmPool[T]) take() T {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.items[len(p.items)-1]
	p.items = p.items[:len(p.items)-1]
	return v
}
