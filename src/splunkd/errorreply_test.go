package splunkd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// replying starts a "command" that writes reply and exits: cat of a file.
func replying(t *testing.T, reply string) *Session {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reply")
	if err := os.WriteFile(path, []byte(reply), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start("/bin/cat", path)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 10 * time.Second
	t.Cleanup(func() { s.Wait() })
	return s
}

func framed(metadata, body string) string {
	return fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(metadata), len(body), metadata, body)
}

// ReadErrorReply accepts only what splunkd needs to show an error, and
// says what is missing otherwise.
func TestReadErrorReply(t *testing.T) {
	const good = `{"finished":true,"error":"bitsscore: bad","inspector":{"messages":[["ERROR","bitsscore: bad"]]}}`
	tests := []struct {
		name, reply string
		violation   string // "" for a good error reply
	}{
		{"well-formed", framed(good, ""), ""},
		{"not an error", framed(`{"finished":true}`, ""), "want an error reply"},
		{"finished false", framed(`{"finished":false,"error":"x","inspector":{"messages":[["ERROR","x"]]}}`, ""), "must say finished:true"},
		{"with a body", framed(good, "a\n1\n"), "carries a 4-byte body"},
		{"no ERROR message", framed(`{"finished":true,"error":"x","inspector":{"messages":[["WARN","x"]]}}`, ""), "without an ERROR inspector message"},
		{"no inspector", framed(`{"finished":true,"error":"x"}`, ""), "without an ERROR inspector message"},
		{"unknown key", framed(`{"finished":true,"error":"x","partial":true}`, ""), "keys splunkd does not accept"},
		{"not JSON", framed(`error!`, ""), "not a JSON object"},
		{"garbage framing", "Traceback (most recent call last):\n", "expected a header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce, err := replying(t, tt.reply).ReadErrorReply(1)
			if tt.violation == "" {
				if err != nil || ce.Text != "bitsscore: bad" || len(ce.Messages) != 1 {
					t.Errorf("ReadErrorReply = %+v, %v", ce, err)
				}
				return
			}
			var v *Violation
			if !errors.As(err, &v) || !strings.Contains(err.Error(), tt.violation) {
				t.Errorf("err = %v, want a Violation mentioning %q", err, tt.violation)
			}
		})
	}
}

// A command that exits without a word is reported as such, not as a
// framing error.
func TestReadErrorReplySilentExit(t *testing.T) {
	_, err := replying(t, "").ReadErrorReply(1)
	if err == nil || !strings.Contains(err.Error(), "closed its output instead of replying") {
		t.Errorf("err = %v", err)
	}
}
