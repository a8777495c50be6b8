package command

import (
	"fmt"
	"io"

	"bitsscore/src/scp"
)

// The execute loop answers one request at a time on the session's
// goroutine: it reads a request, scores it (a large chunk on several
// cores, parallel.go, beginning while the chunk still arrives,
// arrival.go) and writes the reply, then reads the next.
//
// splunkd runs the protocol in lockstep: it sends a request only once it
// has read the whole reply to the one before (../shared/docs/scpv2.md), so
// there is never a next request to read while a reply is scored or
// written, and stages on goroutines of their own would only hand each
// chunk from thread to thread. Those hand-offs were what a small chunk
// cost most: each wakes a sleeping thread, and on a virtual machine a
// wake-up across cores is an exit to the hypervisor. Measured in
// lockstep, the loop on one goroutine answers 1,000-row chunks about a
// third faster than the three-stage pipeline it replaced; a peer that
// writes ahead (which splunkd never is) measured no slower, now that the
// pipes are grown (GrowPipes) and a large chunk is scored on several cores
// (docs/performance.md).
//
// A reply shares its request's bytes (replyWriter), and the one request
// buffer and the one set of reply buffers serve every chunk: their memory
// is paid for once, on the first chunk, and stays warm. Memory is one
// request body and one reply's new cells and spans: about a chunk and a
// half, within the budget docs/performance.md sets (four chunks).
//
// Any failure stops the loop after the replies before it have been
// written, so that the error reply Session.Run writes follows them.

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

// executeLoop answers execute requests until the input ends, with the
// scorer newScorer builds once a chunk is on its way.
func (s *Session) executeLoop(newScorer func() (*parallelScorer, error)) error {
	switch err := s.in.Await(); err {
	case nil: // a chunk is on its way
		if s.GrowPipes != nil {
			s.log.printf("%s", s.GrowPipes())
		}
		s.out = scp.NewWriterSize(s.w, replyBufferSize)
	case io.EOF: // a process that only answered getinfo
		s.log.printf("end of input after 0 chunks")
		return nil
	}
	// A failed read is reported by the loop, as for any chunk.
	scorer, err := newScorer()
	if err != nil {
		return err
	}
	var msg scp.Message
	largest := -1
	for chunk := 1; ; chunk++ {
		arriving := scorer.beginArrival()
		err := s.in.ReadMessageFunc(&msg, arriving.arrived)
		if err != nil {
			arriving.stop()
		}
		if err == io.EOF {
			s.log.printf("end of input after %d chunks", chunk-1)
			return nil
		}
		if err != nil {
			return fmt.Errorf("bitsscore: reading chunk %d: %w", chunk, err)
		}
		if n := len(msg.Body); n > largest && LimitMemory != nil {
			largest = n
			LimitMemory(memoryBudget(n) - memoryHeadroom)
		}
		req, err := scp.DecodeRequest(msg.Metadata)
		if err != nil {
			arriving.stop()
			return fmt.Errorf("bitsscore: chunk %d: %w", chunk, err)
		}
		if req.Action != scp.ActionExecute {
			arriving.stop()
			return fmt.Errorf("bitsscore: protocol error: chunk %d is a second %q request", chunk, req.Action)
		}
		body, early, err := arriving.finish(msg.Body)
		if err != nil {
			return fmt.Errorf("bitsscore: chunk %d: %w", chunk, err)
		}
		s.log.printf("chunk %d: %d bytes in (%d handed out as they arrived), %d bytes out, finished=%t", chunk, len(msg.Body), early, body.Len(), req.Finished)
		if err := s.out.WriteMessageBody(finishedMeta(req.Finished), body); err != nil {
			// The output is gone or the stream is broken: no error
			// reply can follow.
			return errReported{fmt.Errorf("writing the reply to chunk %d: %w", chunk, err)}
		}
	}
}
