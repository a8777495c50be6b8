package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"bitsscore/src/scp"
	"bitsscore/src/splunkd"
	"bitsscore/src/winevent"
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
events, which are printed as CSV on stdout.

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
	events := &splunkd.Table{}
	if *eventsFile != "" {
		var err error
		if events, err = loadEvents(*eventsFile, env); err != nil {
			fmt.Fprintf(env.Stderr, "bitsscore replay: %v\n", err)
			return ExitUsage
		}
	}

	s, err := splunkd.Start(command[0], command[1:]...)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore replay: %v\n", err)
		return ExitUsage
	}
	if *trace {
		s.Trace = traceTo(env.Stderr)
	}
	if err := drive(s, events, searchArgs, *chunkSize, env); err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore replay: %v\n", err)
		if exit, _ := s.Wait(); exit.Code != 0 || len(exit.Stderr) > 0 {
			fmt.Fprintf(env.Stderr, "bitsscore replay: the command ended with %s\n", exit)
		}
		return ExitAlert
	}
	return ExitOK
}

func drive(s *splunkd.Session, events *splunkd.Table, args []string, chunkSize int, env Env) error {
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
	replies, err := s.ExecuteEvents(events, chunkSize)
	for _, reply := range replies {
		printMessages(env, reply.Inspector)
	}
	if err != nil {
		return err
	}
	exit, err := s.Wait()
	if err != nil {
		return err
	}
	if exit.Code != 0 || len(exit.Stderr) > 0 {
		return fmt.Errorf("after a clean session the command ended with %s", exit)
	}
	if len(events.Header) > 0 {
		env.Stdout.Write(events.Encode())
	}
	fmt.Fprintf(env.Stderr, "bitsscore replay: clean session: getinfo type=%s required_fields=%q, %d events in %d execute requests, exit status 0\n",
		info.Type, info.RequiredFields, len(events.Rows), len(replies))
	return nil
}

func printMessages(env Env, msgs []scp.InspectorMessage) {
	for _, m := range msgs {
		fmt.Fprintf(env.Stderr, "bitsscore replay: the command says %s: %s\n", m.Level, m.Text)
	}
}

// loadEvents reads events as a table: CSV as is; JSON or XML lines through
// the field extraction of Splunk's Windows add-ons.
func loadEvents(name string, env Env) (*splunkd.Table, error) {
	var r io.Reader = env.Stdin
	if name != "-" {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	}
	var events []winevent.Event
	var bad []string
	err := readEvents(name, r, nil, func(ev *inputEvent) {
		events = append(events, winevent.Event{Fields: ev.fields, Names: ev.names})
	}, func(e *inputError) {
		bad = append(bad, e.Error())
	})
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%d events could not be read; the first: %s", len(bad), bad[0])
	}
	var names []string
	seen := map[string]bool{}
	for _, ev := range events {
		for _, n := range ev.Names {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	return splunkd.DecodeTable(winevent.ToCSV(events, names))
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
		fmt.Fprintf(w, "[%d] %s  chunked 1.0,%d,%d\n    %s\n", n, dir, len(meta), len(body), clipText(string(meta), 300))
		lines := strings.SplitN(string(body), "\n", 5)
		for i, l := range lines {
			if i == 4 {
				fmt.Fprintf(w, "    ... (%d bytes in all)\n", len(body))
				break
			}
			if l != "" {
				fmt.Fprintf(w, "    | %s\n", clipText(l, 160))
			}
		}
	}
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}
