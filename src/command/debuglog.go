package command

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"bitsscore/src/internal/safefile"
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

// openDebugLog opens the log in dispatchDir, which comes from searchinfo
// and is trusted no more than any input: it must be an absolute path to a
// directory, and the log a regular file there (see safefile.OpenLog). The
// error says why not; the search goes on without the log.
func openDebugLog(dispatchDir string) (*debugLog, error) {
	if dispatchDir == "" {
		return nil, fmt.Errorf("searchinfo names no dispatch_dir")
	}
	f, err := safefile.OpenLog(dispatchDir, DebugLogName)
	if err != nil {
		return nil, err
	}
	return &debugLog{f: f, start: time.Now()}, nil
}

// printf writes one line. The formatted text is escaped (see escapeLine),
// so no value it holds can end the line or forge another.
func (l *debugLog) printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.write(escapeLine(fmt.Sprintf(format, args...)))
}

// printBlock writes the lines of text the program itself produced, a
// stack trace, as they are.
func (l *debugLog) printBlock(text []byte) {
	if l == nil {
		return
	}
	l.write(strings.TrimRight(string(text), "\n"))
}

func (l *debugLog) write(text string) {
	// A failed write loses a diagnostic line and nothing else.
	_, _ = fmt.Fprintf(l.f, "%s +%v pid=%d %s\n", time.Now().UTC().Format(time.RFC3339Nano), time.Since(l.start).Round(time.Microsecond), os.Getpid(), text)
}

func (l *debugLog) close() {
	if l != nil {
		_ = l.f.Close() // appended lines are written; nothing is buffered
	}
}

// escapeLine makes s safe to write as one log line: control characters
// (line ends among them), invalid UTF-8 and the Unicode line and paragraph
// separators are written as Go escapes. Everything else, Windows paths'
// backslashes included, reads as it was.
func escapeLine(s string) string {
	if !strings.ContainsFunc(s, needsEscape) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case needsEscape(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
