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
// Replies go out in request order, one per request. Any failure stops the
// loop only after the replies before it are written, so that an error
// reply, written by Session.Run once the loop returns, follows them.

type inbound struct {
	msg *scp.Message
	err error
}

// requestBuffers is how many request bodies the loop holds: one being
// scored and one being read or written. A third would let reading overlap
// writing as well, for a whole chunk more memory.
const requestBuffers = 2

// An outbound reply, with the request whose bytes it shares.
type outbound struct {
	msg   *scp.Message
	meta  []byte
	body  reply
	chunk int
}

// executeLoop answers execute requests until the input ends.
func (s *Session) executeLoop(scorer *parallelScorer) (err error) {
	free := make(chan *scp.Message, requestBuffers)
	for range requestBuffers {
		free <- &scp.Message{}
	}
	in := make(chan inbound, 1)
	go readAhead(s.in, free, in)

	// A token per set of reply buffers: the scorer takes one before it
	// scores into the set, the writer gives it back once the reply is out.
	replySets := make(chan struct{}, len(scorer.replies))
	for range len(scorer.replies) {
		replySets <- struct{}{}
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
			return fmt.Errorf("bitsscore: reading chunk %d: %v", chunk, item.err)
		}
		req, err := scp.DecodeRequest(item.msg.Metadata)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %v", chunk, err)
		}
		if req.Action != scp.ActionExecute {
			return fmt.Errorf("bitsscore: protocol error: chunk %d is a second %q request", chunk, req.Action)
		}
		select {
		case <-replySets:
		case <-w.failed:
			return nil
		}
		body, err := scorer.score(item.msg.Body)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %v", chunk, err)
		}
		s.log.printf("chunk %d: %d bytes in, %d bytes out, finished=%t", chunk, len(item.msg.Body), body.Len(), req.Finished)
		select {
		case replies <- outbound{msg: item.msg, meta: finishedMeta(req.Finished), body: body, chunk: chunk}:
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

func (w *replyLoop) run(replies <-chan outbound, free chan<- *scp.Message, replySets chan<- struct{}) {
	defer close(w.done)
	defer func() {
		if v := recover(); v != nil {
			w.panic = &runPanic{value: v, stack: debug.Stack()}
			w.fail()
		}
	}()
	for r := range replies {
		if w.err == nil {
			if err := w.out.WriteMessageBody(r.meta, r.body); err != nil {
				w.err = errReported{fmt.Errorf("writing the reply to chunk %d: %w", r.chunk, err)}
				w.fail()
			}
		}
		replySets <- struct{}{}
		free <- r.msg
	}
}

func (w *replyLoop) fail() { w.failOnce.Do(func() { close(w.failed) }) }

// readAhead reads requests into free buffers until the input ends or
// fails; the last item it sends carries the error (io.EOF at a clean end).
func readAhead(r *scp.Reader, free chan *scp.Message, in chan<- inbound) {
	for msg := range free {
		err := r.ReadMessageInto(msg)
		in <- inbound{msg: msg, err: err}
		if err != nil {
			return
		}
	}
}
