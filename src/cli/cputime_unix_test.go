//go:build unix

package cli

import (
	"syscall"
	"time"
)

// processCPUTime is the user and system CPU time the process has used: on
// a shared machine, what a benchmark costs when its wall time is not.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
