package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"bitsscore/src/internal/textfmt"
	"bitsscore/src/scp"
	"bitsscore/src/splunkd"
)

const replaySynopsis = "bitsscore replay [--events FILE] [--chunk-size N] [--arg NAME=VALUE ...] [--trace] -- COMMAND [ARGS ...]"

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func replay(args []string, env Env) int {
	fs := newFlagSet("replay", replaySynopsis, env)
	eventsFile := fs.String("events", "", "events to send: CSV with a header row, JSON lines or event XML lines (\"-\" for stdin); none by default")
	chunkSize := fs.Int("chunk-size", 50000, "events per execute request (splunkd sends up to maxresultrows, 50,000 by default)")
	trace := fs.Bool("trace", false, "print every message exchanged to stderr")
	var searchArgs stringList
	fs.Var(&searchArgs, "arg", "an argument for the command's searchinfo.args, as a search would pass it (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: %s

Runs COMMAND as splunkd runs a chunked (protocol v2) custom search command:
getinfo with the --arg arguments, then the events in execute requests of
--chunk-size, each carrying only the fields the command requires plus
_chunked_idx, then a header-only request with finished=true, then EOF. Every
reply is checked strictly (framing, JSON keys, finished echoed, CSV that
parses, every record and its _chunked_idx back for a streaming command,
silence on stderr, exit status 0). The replies are merged back into the
events, which are printed as CSV on stdout once the command has exited.

The events are read and sent a chunk at a time, so a file of any size
replays in bounded memory. A CSV file's records are sent as they are,
without decoding (unless score reads its rows as other fields: from _raw,
or an export's renamed columns); JSON and event XML are read as score reads
them.

Exit status: 0 the session was clean; 1 a reply broke the protocol, the
command reported an error or it exited badly; 2 bad usage or unreadable events.

Options:
`, replaySynopsis)
		fs.PrintDefaults()
	}
	if status, done := parseFlags(fs, args, env); done {
		return status
	}
	command := fs.Args()
	if len(command) == 0 {
		fmt.Fprintf(env.Stderr, "bitsscore replay: no command to run\nUsage: %s\n", replaySynopsis)
		return ExitUsage
	}
	if *chunkSize < 1 {
		fmt.Fprintf(env.Stderr, "bitsscore replay: --chunk-size must be at least 1\n")
		return ExitUsage
	}
	var events io.Reader
	switch *eventsFile {
	case "":
	case "-":
		events = env.Stdin
	default:
		f, err := os.Open(*eventsFile)
		if err != nil {
			fmt.Fprintf(env.Stderr, "bitsscore replay: %v\n", err)
			return ExitUsage
		}
		defer f.Close()
		events = f
	}

	s, err := splunkd.Start(command[0], command[1:]...)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore replay: %v\n", err)
		return ExitUsage
	}
	if *trace {
		s.Trace = traceTo(env.Stderr)
	}
	if err := drive(s, *eventsFile, events, searchArgs, *chunkSize, env); err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore replay: %v\n", err)
		exit, _ := s.Wait()
		var unreadable *unreadableEvents
		if errors.As(err, &unreadable) {
			return ExitUsage
		}
		if exit.Code != 0 || len(exit.Stderr) > 0 {
			fmt.Fprintf(env.Stderr, "bitsscore replay: the command ended with %s\n", exit)
		}
		return ExitAlert
	}
	return ExitOK
}

// drive runs the session: getinfo, the events of source (none when events
// is nil) a chunk at a time, the finished request; then, once the command
// has exited cleanly, it prints the merged events.
func drive(s *splunkd.Session, source string, events io.Reader, args []string, chunkSize int, env Env) error {
	dir, err := os.MkdirTemp("", "bitsscore-replay-dispatch")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	info, err := s.GetInfo(scp.SearchInfo{
		Args: args, RawArgs: args, DispatchDir: dir, SID: "replay", App: "search", Owner: "admin",
		Username: "admin", SplunkVersion: "9.2.1", Command: "replay", MaxResultRows: "50000",
		EarliestTime: "0", LatestTime: "0",
	})
	if err != nil {
		return err
	}
	r, err := s.NewReplay(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	requests := 0
	execute := func(body []byte) error {
		reply, err := r.Execute(body)
		if err != nil {
			return err
		}
		requests++
		printMessages(env, reply.Inspector)
		return nil
	}
	if events != nil {
		if err := sendEvents(source, events, chunkSize, execute); err != nil {
			return err
		}
	}
	reply, err := r.Finish()
	if err != nil {
		return err
	}
	requests++
	printMessages(env, reply.Inspector)
	exit, err := s.Wait()
	if err != nil {
		return err
	}
	if exit.Code != 0 || len(exit.Stderr) > 0 {
		return fmt.Errorf("after a clean session the command ended with %s", exit)
	}
	if _, err := r.WriteTo(env.Stdout); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "bitsscore replay: clean session: getinfo type=%s required_fields=%q, %d events in %d execute requests, exit status 0\n",
		info.Type, info.RequiredFields, r.Events(), requests)
	return nil
}

func printMessages(env Env, msgs []scp.InspectorMessage) {
	for _, m := range msgs {
		fmt.Fprintf(env.Stderr, "bitsscore replay: the command says %s: %s\n", m.Level, m.Text)
	}
}

// traceTo prints each message: its direction, metadata, and the first
// lines of its body.
func traceTo(w io.Writer) func(bool, []byte, []byte) {
	n := 0
	return func(toCommand bool, meta, body []byte) {
		n++
		dir := "<- command"
		if toCommand {
			dir = "-> command"
		}
		fmt.Fprintf(w, "[%d] %s  chunked 1.0,%d,%d\n    %s\n", n, dir, len(meta), len(body), textfmt.Clip(string(meta), 300))
		lines := strings.SplitN(string(body), "\n", 5)
		for i, l := range lines {
			if i == 4 {
				fmt.Fprintf(w, "    ... (%d bytes in all)\n", len(body))
				break
			}
			if l != "" {
				fmt.Fprintf(w, "    | %s\n", textfmt.Clip(l, 160))
			}
		}
	}
}
