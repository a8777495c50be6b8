package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// On a terminal, score shows how far it has come and clears the line at the
// end; elsewhere it prints no progress at all.
func TestScoreProgress(t *testing.T) {
	var input strings.Builder
	input.WriteString("_time,host,Image,CommandLine\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&input, "%d,h,C:\\Windows\\notepad.exe,notepad.exe n%d.txt\n", 1700000000+i, i)
	}
	for _, terminal := range []bool{true, false} {
		var stdout, stderr bytes.Buffer
		env := Env{Stdin: strings.NewReader(input.String()), Stdout: &stdout, Stderr: &stderr,
			StderrIsTerminal: terminal, ProgressEvery: time.Nanosecond}
		if status := Main([]string{"score", "--format", "csv"}, env); status != ExitOK {
			t.Fatalf("terminal=%t: status %d, stderr %q", terminal, status, stderr.String())
		}
		got := stderr.String()
		if terminal {
			for _, want := range []string{"\r\033[Kscoring -: 1000 events", "scoring -: 3000 events", "\r\033[K" + "bitsscore score: -: 3000 events scored, 0 alerts,"} {
				if !strings.Contains(got, want) {
					t.Errorf("terminal stderr lacks %q: %q", want, got)
				}
			}
		} else if strings.Contains(got, "scoring") || got != "bitsscore score: -: 3000 events scored, 0 alerts, 0 could not be read\n" {
			t.Errorf("stderr is not a terminal: want only the summary line, got %q", got)
		}
		if lines := strings.Count(stdout.String(), "\n"); lines != 3001 {
			t.Errorf("terminal=%t: %d CSV lines, want 3001", terminal, lines)
		}
	}
}
