// Command bitsscore is a Splunk custom search command (chunked protocol v2)
// that scores Windows events for BITS-job abuse (MITRE ATT&CK T1197).
//
// Splunk starts it with no arguments: that is protocol mode, speaking on
// stdin and stdout.
package main

import (
	"os"
	"os/signal"
	"syscall"

	"bitsscore/src/command"
)

func main() {
	// Without this a write to a closed stdout kills the process with
	// SIGPIPE; with it the write fails and the session ends with a status.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(command.NewSession(os.Stdin, os.Stdout).Run())
}
