// Command bitsscore is a Splunk custom search command (chunked protocol v2)
// that scores Windows events for BITS-job abuse (MITRE ATT&CK T1197).
//
// Splunk starts it with no arguments: that is protocol mode, speaking on
// stdin and stdout. With arguments it is a command-line tool: `bitsscore
// help` lists what it can do.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"bitsscore/src/cli"
	"bitsscore/src/command"
	"bitsscore/src/detect"
	"bitsscore/src/internal/pipes"
	"bitsscore/src/winevent"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
	}
	if cli.StdinIsTerminal() {
		// splunkd always connects a pipe: a terminal means a person, who
		// would otherwise see a command waiting for protocol bytes.
		os.Stderr.WriteString(cli.NoArgumentsHint)
		os.Exit(cli.ExitUsage)
	}
	// Without this a write to a closed stdout kills the process with
	// SIGPIPE; with it the write fails and the session ends with a status.
	signal.Ignore(syscall.SIGPIPE)
	command.LimitMemory = debug.SetMemoryLimit
	session := command.NewSession(os.Stdin, os.Stdout)
	// raw=t reads Windows event XML, as Splunk's Windows and Sysmon
	// add-ons do: the protocol session is handed the reader, it imports no
	// event format.
	session.ExtractRaw = winevent.ExtractXML[detect.Values]
	session.GrowPipes = growPipes
	os.Exit(session.Run())
}

// growPipes enlarges the buffers of the pipes to and from splunkd, where
// the system allows it (internal/pipes says why), and says what it did. A
// pipe that cannot grow keeps its size: the search goes on as before.
func growPipes() string {
	var report []string
	for _, p := range []struct {
		name string
		file *os.File
	}{{"stdin", os.Stdin}, {"stdout", os.Stdout}} {
		size, err := pipes.Grow(p.file, pipes.DefaultSize)
		if err != nil {
			report = append(report, fmt.Sprintf("%s keeps its buffer (%v)", p.name, err))
		} else {
			report = append(report, fmt.Sprintf("%s buffer %d bytes", p.name, size))
		}
	}
	return "pipes: " + strings.Join(report, ", ")
}
