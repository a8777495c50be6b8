package command

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// debugLog is the diagnostic log that debug=t writes into the job's
// dispatch directory. splunkd files anything on stderr in search.log at
// ERROR level, so the command never uses stderr for diagnostics.
// A nil *debugLog discards everything.
type debugLog struct {
	f     *os.File
	start time.Time
}

// DebugLogName is the file debug=t writes in the dispatch directory.
const DebugLogName = "bitsscore.log"

func openDebugLog(dispatchDir string) *debugLog {
	if dispatchDir == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dispatchDir, DebugLogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil // a diagnostic aid must never fail the search
	}
	return &debugLog{f: f, start: time.Now()}
}

func (l *debugLog) printf(format string, args ...any) {
	if l == nil {
		return
	}
	fmt.Fprintf(l.f, "%s +%v pid=%d %s\n", time.Now().UTC().Format(time.RFC3339Nano), time.Since(l.start).Round(time.Microsecond), os.Getpid(), fmt.Sprintf(format, args...))
}

func (l *debugLog) close() {
	if l != nil {
		l.f.Close()
	}
}
