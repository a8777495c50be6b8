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
}

// OSEnv is the process's own standard streams.
func OSEnv() Env {
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		StdoutIsTerminal: isTerminal(os.Stdout), StderrIsTerminal: isTerminal(os.Stderr),
	}
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

const usage = `bitsscore scores Windows events for BITS-job abuse (MITRE ATT&CK T1197).

Splunk runs it with no arguments: it then speaks the chunked search command
protocol on stdin and stdout (| bitsscore in a search).

Usage:
  bitsscore score [--mode spl|hardened] [--format table|csv|json] [--alerts-only] [FILE ...]
  bitsscore replay [--events FILE] [--chunk-size N] [--arg NAME=VALUE ...] [--trace] -- COMMAND [ARGS ...]
  bitsscore version
  bitsscore help [COMMAND]

Commands:
  score    score exported events (CSV with a header row, JSON lines, or Windows
           event XML one event per line); exit status 1 when any event alerts
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
