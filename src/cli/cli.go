// Package cli is bitsscore's command line: the same binary Splunk runs,
// used by detection engineers on exported events (score) and by command
// authors on chunked sessions (replay). With no arguments the binary speaks
// the protocol instead; this package is everything else.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// Exit statuses. score uses ExitAlert so a pipeline can gate on it.
const (
	ExitOK    = 0
	ExitAlert = 1 // score: at least one event alerts; replay: the session failed
	ExitUsage = 2 // bad arguments, unreadable input, or (score) bad events and no alert
)

// Env is what the command line reads and writes, so tests can run it in
// process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StdoutIsTerminal and StderrIsTerminal pick the default output format
	// and whether to show progress.
	StdoutIsTerminal, StderrIsTerminal bool
	// ProgressEvery is how often the progress line may change; zero means
	// twice a second.
	ProgressEvery time.Duration
	// Columns is the terminal's width for the table; zero means
	// defaultColumns.
	Columns int
}

// defaultColumns is the table's width when COLUMNS does not give one. The
// terminal is not asked (that takes an ioctl per platform): shells export
// COLUMNS, and 120 fits today's terminals.
const defaultColumns = 120

// OSEnv is the process's own standard streams.
func OSEnv() Env {
	columns, _ := strconv.Atoi(os.Getenv("COLUMNS"))
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		StdoutIsTerminal: isTerminal(os.Stdout), StderrIsTerminal: isTerminal(os.Stderr),
		Columns: columns,
	}
}

// StdinIsTerminal reports whether a person, not splunkd, is at the other
// end of stdin.
func StdinIsTerminal() bool { return isTerminal(os.Stdin) }

// NoArgumentsHint is what bitsscore says when started with no arguments on
// a terminal, where protocol mode would wait for bytes that never come.
const NoArgumentsHint = `bitsscore is a Splunk search command: with no arguments it speaks Splunk's
chunked protocol on stdin, which is why it is waiting for nothing here.

To score exported events:   bitsscore score FILE
For everything else:        bitsscore --help
`

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

const usage = `bitsscore scores Windows events for BITS-job abuse (MITRE ATT&CK T1197).

Splunk runs it with no arguments: it then speaks the chunked search command
protocol on stdin and stdout (| bitsscore in a search).

Usage:
  bitsscore score [--mode spl|hardened] [--format table|csv|json] [--alerts-only] [--summary] [--quiet] [FILE ...]
  bitsscore replay [--events FILE] [--chunk-size N] [--arg NAME=VALUE ...] [--trace] -- COMMAND [ARGS ...]
  bitsscore version
  bitsscore help [COMMAND]

Commands:
  score    score exported events (CSV, JSON or Windows event XML in any of the
           shapes Splunk, evtx_dump, wevtutil and PowerShell write; gzip and
           UTF-16 too); exit status 1 when any event alerts
  replay   drive any chunked command the way splunkd does and check every reply
  version  print the version
`

// Main runs the command line with args (without the program name) and
// returns the exit status.
func Main(args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "score":
		return score(args[1:], env)
	case "replay":
		return replay(args[1:], env)
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, Version())
		return ExitOK
	case "help", "--help", "-help", "-h":
		if len(args) > 1 {
			return Main([]string{args[1], "--help"}, env)
		}
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "bitsscore: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// Version describes the build: the app's version, the VCS revision Go
// stamped into the binary when it has one, and the toolchain.
func Version() string {
	s := "bitsscore " + AppVersion
	if info, ok := debug.ReadBuildInfo(); ok {
		revision, modified := "", false
		for _, setting := range info.Settings {
			switch setting.Key {
			case "vcs.revision":
				revision = setting.Value
			case "vcs.modified":
				modified = setting.Value == "true"
			}
		}
		if revision != "" {
			s += " revision " + revision[:min(len(revision), 12)]
			if modified {
				s += "+modified"
			}
		}
		s += " (" + info.GoVersion + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	}
	return s
}

// AppVersion is the app's version, kept equal to default/app.conf by a test.
const AppVersion = "0.1.0"

// parseFlags parses a subcommand's options. Help that was asked for goes
// to stdout with status 0; a mistake gets the usage on stderr, status 2.
func parseFlags(fs *flag.FlagSet, args []string, env Env) (status int, done bool) {
	// flag prints the usage itself on any failure; print it once, here,
	// where it is known which stream it belongs on.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(env.Stdout)
		fs.Usage()
		return ExitOK, true
	}
	fs.Usage() // after flag's own line saying what was wrong, on stderr
	return ExitUsage, true
}

// parseInterleaved parses options that may come before, between or after
// the file names (flag stops at the first name); "--" ends the options.
func parseInterleaved(fs *flag.FlagSet, args []string, env Env) (files []string, status int, done bool) {
	for {
		if status, done := parseFlags(fs, args, env); done {
			return nil, status, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, 0, false
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(files, rest...), 0, false
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a flag set that reports to env and prints a usage line.
func newFlagSet(name, synopsis string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nOptions:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
