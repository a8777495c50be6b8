package command

import (
	"fmt"
	"io"

	"bitsscore/src/scp"
)

// The execute loop reads one request ahead: a reader goroutine fills one
// of two buffers while the session scores the other, so when splunkd
// writes ahead, reading chunk N+1 overlaps scoring chunk N. A body goes
// back to the reader as soon as it is scored (the reply copies what it
// keeps). Replies are written on the scoring goroutine, in order, one per
// request.
//
// Writing could overlap too, with a second set of reply buffers, but that
// holds two bodies and two replies at once: over four times a chunk, the
// memory budget (see docs/performance.md). Reading ahead costs one body.

type inbound struct {
	msg *scp.Message
	err error
}

// executeLoop answers execute requests until the input ends.
func (s *Session) executeLoop(scorer *parallelScorer) error {
	free := make(chan *scp.Message, 2)
	free <- &scp.Message{}
	free <- &scp.Message{}
	in := make(chan inbound, 1)
	go readAhead(s.in, free, in)

	for chunk := 0; ; chunk++ {
		item := <-in
		if item.err == io.EOF {
			s.log.printf("end of input after %d chunks", chunk)
			return nil
		}
		if item.err != nil {
			return fmt.Errorf("bitsscore: reading chunk %d: %v", chunk+1, item.err)
		}
		req, err := scp.DecodeRequest(item.msg.Metadata)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %v", chunk+1, err)
		}
		if req.Action != scp.ActionExecute {
			return fmt.Errorf("bitsscore: protocol error: chunk %d is a second %q request", chunk+1, req.Action)
		}
		bodyLen := len(item.msg.Body)
		body, err := scorer.score(item.msg.Body)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %v", chunk+1, err)
		}
		if err := s.out.WriteMessageBody(finishedMeta(req.Finished), body); err != nil {
			return errReported{fmt.Errorf("writing the reply to chunk %d: %w", chunk+1, err)}
		}
		free <- item.msg // the reply is written: the reader may fill it again
		s.log.printf("chunk %d: %d bytes in, %d bytes out, finished=%t", chunk+1, bodyLen, body.Len(), req.Finished)
	}
}

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
