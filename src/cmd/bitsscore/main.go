// Command bitsscore is a Splunk custom search command (chunked protocol v2)
// that scores Windows events for BITS-job abuse (MITRE ATT&CK T1197).
//
// Splunk starts it with no arguments: that is protocol mode, speaking on
// stdin and stdout. With arguments it is a command-line tool: `bitsscore
// help` lists what it can do.
package main

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"bitsscore/src/cli"
	"bitsscore/src/command"
	"bitsscore/src/detect"
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
	os.Exit(session.Run())
}
