package splunkd

import (
	"fmt"
	"time"

	"bitsscore/src/scp"
)

// A Chunk is the body and finished flag of one execute request.
type Chunk struct {
	Body     []byte
	Finished bool
}

// Options shape a Run.
type Options struct {
	Timeout time.Duration                               // per exchange; zero means DefaultTimeout
	Trace   func(toCommand bool, metadata, body []byte) // sees every message
	// WriteAhead sends every request before reading the first reply, as
	// splunkd may when the pipe has room: a command must not wait for its
	// replies to be read before it reads on.
	WriteAhead bool
}

// A Result is a whole session.
type Result struct {
	Info    scp.GetInfoReply
	Replies []Reply
	Exit    Exit
}

// Run runs a whole session of the command at path: getinfo with info, an
// execute request per chunk, then EOF. It returns the first violation or
// error, and insists that the command exits 0 and keeps stderr empty.
func Run(path string, info scp.SearchInfo, chunks []Chunk, opt Options) (*Result, error) {
	s, err := Start(path)
	if err != nil {
		return nil, err
	}
	s.Timeout, s.Trace = opt.Timeout, opt.Trace
	res, err := s.run(info, chunks, opt.WriteAhead)
	exit, werr := s.Wait()
	res.Exit = exit
	switch {
	case err != nil:
		return res, err
	case werr != nil:
		return res, werr
	case exit.Code != 0:
		return res, fmt.Errorf("the command exited with %s after a clean session", exit)
	case len(exit.Stderr) > 0:
		return res, fmt.Errorf("the command wrote to stderr, which splunkd logs at ERROR level: %q", clip(exit.Stderr))
	}
	return res, nil
}

func (s *Session) run(info scp.SearchInfo, chunks []Chunk, writeAhead bool) (*Result, error) {
	res := &Result{}
	var err error
	if res.Info, err = s.GetInfo(info); err != nil {
		return res, err
	}
	if !writeAhead {
		for _, c := range chunks {
			reply, err := s.Execute(c.Body, c.Finished)
			if err != nil {
				return res, err
			}
			res.Replies = append(res.Replies, reply)
		}
		return res, nil
	}
	sent := make(chan error, 1)
	go func() {
		for _, c := range chunks {
			if err := s.Send(execMeta(c.Finished), c.Body); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for _, c := range chunks {
		reply, err := s.ReadExecuteReply(c.Body, c.Finished)
		if err != nil {
			s.kill()
			<-sent
			return res, err
		}
		res.Replies = append(res.Replies, reply)
	}
	if err := <-sent; err != nil {
		return res, err
	}
	return res, nil
}
