package splunkd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"bitsscore/src/internal/textfmt"
	"bitsscore/src/scp"
)

// DefaultTimeout is how long a command may take to answer one request.
const DefaultTimeout = 30 * time.Second

// A Violation is a reply that breaks the protocol.
type Violation struct {
	Request int // 0 for getinfo, n for the n-th execute request
	Msg     string
}

func (v *Violation) Error() string {
	if v.Request == 0 {
		return "protocol violation in the getinfo reply: " + v.Msg
	}
	return fmt.Sprintf("protocol violation in the reply to execute request %d: %s", v.Request, v.Msg)
}

// A CommandError is a well-formed error reply: the command refused the
// request and said why, as it should for bad input.
type CommandError struct {
	Request  int
	Text     string                 // the reply's "error"
	Messages []scp.InspectorMessage // the reply's inspector messages
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("the command reported an error (request %d): %s", e.Request, e.Text)
}

// A Session is one run of a command.
type Session struct {
	// Timeout bounds each exchange; zero means DefaultTimeout.
	Timeout time.Duration
	// Trace, when set, sees every message exchanged; toCommand tells the
	// direction.
	Trace func(toCommand bool, metadata, body []byte)

	cmd      *exec.Cmd
	stdin    *os.File
	stdout   *os.File
	replies  *scp.Reader
	requests *scp.Writer
	stderr   lockedBuffer
	waitOnce sync.Once
	waitErr  error

	info      *scp.GetInfoReply
	executes  int
	finished  bool
	inputDone bool
}

// Start starts the command at path with args (splunkd passes none).
func Start(path string, args ...string) (*Session, error) {
	s := &Session{cmd: exec.Command(path, args...)}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return nil, err
	}
	s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = stdinR, stdoutW, &s.stderr
	if err := s.cmd.Start(); err != nil {
		stdinR.Close()
		stdinW.Close()
		stdoutR.Close()
		stdoutW.Close()
		return nil, err
	}
	stdinR.Close()
	stdoutW.Close()
	s.stdin, s.stdout = stdinW, stdoutR
	s.replies = scp.NewReader(stdoutR)
	s.replies.Strict = true
	s.requests = scp.NewWriter(stdinW)
	return s, nil
}

func (s *Session) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// Send writes one request without reading a reply: for pipelining, and for
// sending what splunkd never would.
func (s *Session) Send(metadata, body []byte) error {
	if s.Trace != nil {
		s.Trace(true, metadata, body)
	}
	s.stdin.SetWriteDeadline(time.Now().Add(s.timeout()))
	if err := s.requests.WriteMessage(metadata, body); err != nil {
		return fmt.Errorf("writing to the command: %w", err)
	}
	return nil
}

// SendRaw writes bytes as they are, for malformed input.
func (s *Session) SendRaw(b []byte) error {
	s.stdin.SetWriteDeadline(time.Now().Add(s.timeout()))
	_, err := s.stdin.Write(b)
	return err
}

// CloseInput closes the command's stdin, as splunkd does after the last
// reply.
func (s *Session) CloseInput() error {
	if s.inputDone {
		return nil
	}
	s.inputDone = true
	return s.stdin.Close()
}

// CloseOutput stops reading the command's output, as a splunkd that has
// given up on a search does: the command's next write fails.
func (s *Session) CloseOutput() error {
	return s.stdout.Close()
}

// Pid returns the command's process id.
func (s *Session) Pid() int { return s.cmd.Process.Pid }

// ReadErrorReply reads the reply of a command that gives up, on request n
// (0 for getinfo): it must be a well-formed fatal error, metadata
// {"finished":true,"error":<text>,"inspector":{"messages":[...]}} with an
// empty body, which splunkd shows the user. It returns the error as a
// *CommandError, or a Violation when the reply is anything else.
func (s *Session) ReadErrorReply(n int) (*CommandError, error) {
	msg, err := s.ReadReply()
	if err != nil {
		return nil, s.explain(n, err)
	}
	if _, err := decodeObject(n, msg.Metadata, executeKeys); err != nil {
		return nil, err
	}
	var meta scp.ExecuteReply
	if err := json.Unmarshal(msg.Metadata, &meta); err != nil {
		return nil, &Violation{Request: n, Msg: fmt.Sprintf("metadata does not decode: %v", err)}
	}
	ce := &CommandError{Request: n, Text: meta.Error, Messages: messages(meta.Inspector)}
	switch {
	case meta.Error == "":
		return nil, &Violation{Request: n, Msg: fmt.Sprintf("want an error reply, got %s", clip(msg.Metadata))}
	case !meta.Finished:
		return ce, &Violation{Request: n, Msg: "an error reply must say finished:true, or splunkd waits for more"}
	case len(msg.Body) > 0:
		return ce, &Violation{Request: n, Msg: fmt.Sprintf("an error reply carries a %d-byte body", len(msg.Body))}
	case !slices.ContainsFunc(ce.Messages, func(m scp.InspectorMessage) bool { return m.Level == scp.LevelError }):
		return ce, &Violation{Request: n, Msg: "an error reply without an ERROR inspector message shows the user nothing"}
	}
	return ce, nil
}

// ReadReply reads one reply message, checking only its framing.
func (s *Session) ReadReply() (scp.Message, error) {
	s.stdout.SetReadDeadline(time.Now().Add(s.timeout()))
	msg, err := s.replies.ReadMessage()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.kill()
		return msg, fmt.Errorf("the command sent no reply within %v; killed it", s.timeout())
	}
	if err == nil && s.Trace != nil {
		s.Trace(false, msg.Metadata, msg.Body)
	}
	return msg, err
}

// GetInfo sends getinfo with info and checks the reply.
func (s *Session) GetInfo(info scp.SearchInfo) (scp.GetInfoReply, error) {
	meta, err := json.Marshal(scp.Request{Action: scp.ActionGetInfo, SearchInfo: &info})
	if err != nil {
		return scp.GetInfoReply{}, err
	}
	if err := s.Send(meta, nil); err != nil {
		return scp.GetInfoReply{}, err
	}
	msg, err := s.ReadReply()
	if err != nil {
		return scp.GetInfoReply{}, s.explain(0, err)
	}
	reply, err := checkGetInfoReply(msg)
	if err != nil {
		return reply, err
	}
	s.info = &reply
	return reply, nil
}

// execMeta is the metadata of an execute request, as splunkd writes it.
func execMeta(finished bool) []byte {
	return fmt.Appendf(nil, `{"action":"execute","finished":%t}`, finished)
}

// A Reply is a checked execute reply.
type Reply struct {
	Finished  bool
	Inspector []scp.InspectorMessage
	Body      []byte // the CSV body as sent
	Table     *Table // the body decoded; nil for an empty body
}

// Execute sends one execute request and checks its reply.
func (s *Session) Execute(body []byte, finished bool) (Reply, error) {
	if err := s.Send(execMeta(finished), body); err != nil {
		return Reply{}, err
	}
	return s.ReadExecuteReply(body, finished)
}

// ReadExecuteReply reads and checks the reply to an execute request already
// sent with the given body and finished flag.
func (s *Session) ReadExecuteReply(body []byte, finished bool) (Reply, error) {
	s.executes++
	n := s.executes
	if s.finished {
		return Reply{}, &Violation{Request: n, Msg: "execute request sent after the finished one (a driver misuse)"}
	}
	msg, err := s.ReadReply()
	if err != nil {
		return Reply{}, s.explain(n, err)
	}
	reply, err := checkExecuteReply(n, msg, finished)
	if err != nil {
		return reply, err
	}
	if s.info != nil && s.info.Type == "streaming" {
		if err := checkStreamingBody(n, body, reply.Table); err != nil {
			return reply, err
		}
	}
	s.finished = finished
	return reply, nil
}

// explain turns a failed read into the most useful error: the command's
// exit and stderr when it died, a Violation when it wrote garbage.
func (s *Session) explain(request int, err error) error {
	var fe *scp.FormatError
	if errors.As(err, &fe) {
		return &Violation{Request: request, Msg: err.Error()}
	}
	if errors.Is(err, io.EOF) {
		s.CloseInput()
		exit, _ := s.Wait()
		return fmt.Errorf("the command closed its output instead of replying to request %d (%s)", request, exit)
	}
	return err
}

// Exit describes how the command ended.
type Exit struct {
	Code   int    // -1 when killed by a signal
	Stderr []byte // everything it wrote to stderr
}

func (e Exit) String() string {
	if len(e.Stderr) > 0 {
		return fmt.Sprintf("exit status %d, stderr %q", e.Code, clip(e.Stderr))
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Wait closes the command's input, waits for it to exit (killing it after
// the timeout) and checks that it wrote nothing more.
func (s *Session) Wait() (Exit, error) {
	s.CloseInput()
	var extra []byte
	s.waitOnce.Do(func() {
		done := make(chan struct{})
		go func() {
			s.stdout.SetReadDeadline(time.Now().Add(s.timeout()))
			extra, _ = io.ReadAll(s.stdout)
			s.waitErr = s.cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(s.timeout() + time.Second):
			s.kill()
			<-done
			s.waitErr = fmt.Errorf("the command did not exit within %v of its input closing; killed it", s.timeout())
		}
		s.stdout.Close()
	})
	exit := Exit{Code: s.cmd.ProcessState.ExitCode(), Stderr: s.stderr.Bytes()}
	var exitErr *exec.ExitError
	if s.waitErr != nil && !errors.As(s.waitErr, &exitErr) {
		return exit, s.waitErr
	}
	if len(extra) > 0 {
		return exit, &Violation{Request: s.executes, Msg: fmt.Sprintf("the command wrote %d bytes after its last reply: %q", len(extra), clip(extra))}
	}
	return exit, nil
}

func (s *Session) kill() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
	}
}

// Stderr returns what the command has written to stderr so far.
func (s *Session) Stderr() []byte { return s.stderr.Bytes() }

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// clip is the excerpt of a command's output a failure quotes.
func clip(b []byte) string { return textfmt.ClipBytes(b, 200) }
