package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"

	"bitsscore/src/detect"
	"bitsscore/src/detect/modes"
	"bitsscore/src/internal/textfmt"
	"bitsscore/src/scp"
)

// Exit statuses of a protocol session.
const (
	ExitOK    = 0
	ExitError = 1 // the session failed; Splunk was told why when it could be
)

// A Session is one run of the command under splunkd: a getinfo exchange,
// then one reply per execute request until splunkd closes the input.
type Session struct {
	in  *scp.Reader
	out *scp.Writer
	// w is the output itself: the getinfo reply goes through a small
	// buffer, and execute replies through one of replyBufferSize, made
	// only once a chunk has come. Every message is flushed whole, so the
	// two never interleave.
	w   io.Writer
	log *debugLog

	// NewDetector builds the detector a configuration asks for. Tests and
	// other front ends may replace it.
	NewDetector func(Config) (detect.Detector, error)
	// ExtractRaw reads the detector's inputs from _raw when a search asks
	// for raw=t; nil refuses raw=t. The command's main package sets it.
	ExtractRaw RawExtractor
	// GrowPipes, when set, is called once, when the first execute request
	// has begun to arrive, so that only a process that will move chunks
	// asks for larger pipe buffers (Splunk also starts processes that only
	// answer getinfo). It returns what the debug log should say. The
	// command's main package sets it to enlarge stdin's and stdout's pipes.
	GrowPipes func() string
}

// NewSession returns a session reading splunkd's requests from r and
// writing replies to w.
func NewSession(r io.Reader, w io.Writer) *Session {
	return &Session{in: scp.NewReader(r), out: scp.NewWriter(w), w: w, NewDetector: newDetector}
}

// replyBufferSize is how many bytes of a reply go to splunkd in one write:
// as much as the pipe takes once GrowPipes has grown it (pipes.DefaultSize),
// so that a 20 MB reply is a few dozen system calls, not hundreds. With a
// 64 KiB pipe the larger writes cost nothing: the kernel takes them a
// pipe's worth at a time.
const replyBufferSize = 1 << 20

// errReported marks an error the session already told splunkd about.
type errReported struct{ err error }

func (e errReported) Error() string { return e.err.Error() }
func (e errReported) Unwrap() error { return e.err }

// Run runs the session to its end and returns the process's exit status.
// Any failure, a panic included, becomes an error reply that Splunk shows
// as an ERROR message, when the output is still there to take it.
func (s *Session) Run() (status int) {
	defer func() {
		if p := recover(); p != nil {
			stack := debug.Stack()
			if rp, ok := p.(*runPanic); ok {
				stack = rp.stack // where it happened, not where it was raised again
			}
			s.fail(fmt.Errorf("bitsscore: internal error: %v", p), stack)
			status = ExitError
		}
		s.log.close()
	}()
	if err := s.run(); err != nil {
		var reported errReported
		if !errors.As(err, &reported) {
			s.fail(err, nil)
		}
		return ExitError
	}
	return ExitOK
}

// fail sends err to splunkd as a fatal error reply. If the output is gone
// there is no one left to tell, and the exit status says it.
func (s *Session) fail(err error, stack []byte) {
	reply := scp.ErrorReply(err.Error()) // clipped to scp.MaxMessageText
	s.log.printf("fatal: %s", reply.Error)
	if stack != nil {
		s.log.printBlock(stack)
	}
	meta, err := json.Marshal(reply)
	if err != nil {
		// Strings and a bool always marshal; should that ever change, the
		// user still gets an error rather than a silent exit.
		meta = []byte(`{"finished":true,"error":"bitsscore: internal error: the error reply did not encode"}`)
	}
	_ = s.out.WriteMessage(meta, nil) // a lost output leaves no one to tell; the exit status says it
}

// logValue is a value from searchinfo as the debug log shows it: clipped
// to scp.MaxMessageText (printf escapes it).
func logValue(s string) string { return textfmt.Clip(s, scp.MaxMessageText) }

func (s *Session) run() error {
	msg, err := s.in.ReadMessage()
	if err == io.EOF {
		return nil // started and stopped without a word: nothing to do
	}
	if err != nil {
		return fmt.Errorf("bitsscore: reading the first request: %w", err)
	}
	req, err := scp.DecodeRequest(msg.Metadata)
	if err != nil {
		return fmt.Errorf("bitsscore: %w", err)
	}
	if req.Action != scp.ActionGetInfo {
		return fmt.Errorf("bitsscore: protocol error: the first request is %q; splunkd must send getinfo first", req.Action)
	}
	if len(msg.Body) > 0 {
		return fmt.Errorf("bitsscore: protocol error: the getinfo request carries a %d-byte body; it must be empty", len(msg.Body))
	}
	info := req.SearchInfo
	if info == nil {
		info = &scp.SearchInfo{}
	}
	cfg, err := ParseArgs(info.Args)
	if err != nil {
		return err
	}
	var warnings []scp.InspectorMessage
	if cfg.Debug {
		log, err := openDebugLog(info.DispatchDir)
		if err != nil {
			warnings = append(warnings, scp.NewMessage(scp.LevelWarn, fmt.Sprintf("bitsscore: debug=t: the search goes on without a debug log: %v", err)))
		}
		s.log = log
		s.log.printf("getinfo: splunk %s, sid %s, args %s", logValue(info.SplunkVersion), logValue(info.SID), logValue(fmt.Sprintf("%q", info.Args)))
	}
	cfg.Detection.KnownGoodFile = localKnownGoodPath()
	if cfg.Mode == modes.Hardened {
		// Once per session, before the getinfo reply: every worker shares
		// the one list, and a bad file fails the getinfo. Not through a
		// symbolic link: the path is the app's, not the user's.
		if cfg.Detection.KnownGood, err = modes.LoadKnownGood(cfg.Detection.KnownGoodFile, true); err != nil {
			return err
		}
		s.log.printf("known-good list read: %d entries (the shipped ones, and the local list %q if there is one)", cfg.Detection.KnownGood.Len(), logValue(cfg.Detection.KnownGoodFile))
	}
	// One detector now, for the getinfo reply (its inputs) and so that a
	// configuration no detector can be built from fails the getinfo. Each
	// other worker's own (a detector is not safe for concurrent use) only
	// once a chunk is on its way: a process Splunk starts only for getinfo
	// builds one.
	det, err := s.NewDetector(cfg)
	if err != nil {
		return err
	}
	if cfg.Raw && s.ExtractRaw == nil {
		return fmt.Errorf("bitsscore: raw=t: this build of the command reads no _raw. Syntax: %s", Syntax)
	}
	newScorer := func() (*parallelScorer, error) {
		detectors := []detect.Detector{det}
		for len(detectors) < scoringWorkers() {
			d, err := s.NewDetector(cfg)
			if err != nil {
				return nil, err
			}
			detectors = append(detectors, d)
		}
		scorer := newParallelScorer(func() detect.Detector {
			d := detectors[0]
			detectors = detectors[1:]
			return d
		}, len(detectors))
		if cfg.Raw {
			scorer.readRaw(s.ExtractRaw)
		}
		return scorer, nil
	}
	required := det.Inputs()
	if cfg.Raw {
		required = append(slices.Clone(required), "_raw")
	}
	reply := scp.GetInfoReply{Type: "streaming", RequiredFields: required}
	if warnings != nil {
		reply.Inspector = &scp.Inspector{Messages: warnings}
	}
	meta, err := json.Marshal(reply)
	if err != nil {
		return err
	}
	if err := s.out.WriteMessage(meta, nil); err != nil {
		return errReported{fmt.Errorf("writing the getinfo reply: %w", err)}
	}

	return s.executeLoop(newScorer)
}

// scoringWorkers is how many cores one chunk may use. An indexer runs many
// searches at once, so a command takes a few cores for large chunks, not all.
func scoringWorkers() int { return min(runtime.GOMAXPROCS(0), 4) }

var (
	finishedTrue  = []byte(`{"finished":true}`)
	finishedFalse = []byte(`{"finished":false}`)
)

// finishedMeta is the metadata of an execute reply: the request's finished
// flag echoed, as the protocol requires.
func finishedMeta(finished bool) []byte {
	if finished {
		return finishedTrue
	}
	return finishedFalse
}
