package command_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"bitsscore/src/command"
	"bitsscore/src/scp"
	"bitsscore/src/splunkd"
)

// With debug=t a fatal error lands in the debug log as well as in the
// reply, and stderr stays quiet.
func TestDebugLogRecordsFatalError(t *testing.T) {
	info := searchInfo(t, "debug=t")
	s, err := splunkd.Start(bitsscoreBin)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = hangLimit
	if _, err := s.GetInfo(info); err != nil {
		t.Fatal(err)
	}
	if err := s.SendRaw(execute("Image,CommandLine\nx\n")); err != nil {
		t.Fatal(err)
	}
	ce, err := s.ReadErrorReply(1)
	if err != nil {
		t.Fatal(err)
	}
	exit, err := s.Wait()
	if err != nil || exit.Code == 0 || len(exit.Stderr) > 0 {
		t.Errorf("exit: %v, %s; want non-zero and a quiet stderr", err, exit)
	}
	log, err := os.ReadFile(filepath.Join(info.DispatchDir, command.DebugLogName))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "fatal: "+ce.Text) {
		t.Errorf("debug log lacks %q:\n%s", "fatal: "+ce.Text, log)
	}
}

// The dispatch directory comes from searchinfo and is trusted no more than
// any input. A debug log that cannot be opened safely there is not
// written: the search goes on, scored, says so in exactly one WARN
// message, and complains nowhere else. Nothing outside the dispatch
// directory is touched, and nothing blocks.
func TestDebugLogRefusesUnsafePaths(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// setup returns the dispatch_dir to send and a check run after the
		// session, on what must not have been written.
		setup func(t *testing.T) (dir string, check func(t *testing.T))
		warn  string // part of the WARN message
	}{
		{"missing directory", func(t *testing.T) (string, func(*testing.T)) {
			return filepath.Join(t.TempDir(), "gone"), nil
		}, "no such file or directory"},
		{"dispatch dir is a file", func(t *testing.T) (string, func(*testing.T)) {
			return writeFile(t, "not-a-dir"), nil
		}, "is not a directory"},
		{"no dispatch dir given", func(t *testing.T) (string, func(*testing.T)) {
			return "", nil
		}, "searchinfo names no dispatch_dir"},
		{"relative dispatch dir", func(t *testing.T) (string, func(*testing.T)) {
			// An existing directory, named relative to the command's
			// working directory: it must not be used.
			abs := t.TempDir()
			rel, err := filepath.Rel(cwd, abs)
			if err != nil {
				t.Fatal(err)
			}
			return rel, func(t *testing.T) { assertEmptyDir(t, abs) }
		}, "is not an absolute path"},
		{"log is a symbolic link", func(t *testing.T) (string, func(*testing.T)) {
			dir, target := t.TempDir(), writeFile(t, "target")
			mustDo(t, os.Symlink(target, filepath.Join(dir, command.DebugLogName)))
			return dir, func(t *testing.T) { assertContent(t, target, "x") }
		}, "is a symbolic link, not a regular file"},
		{"log is a dangling symbolic link", func(t *testing.T) (string, func(*testing.T)) {
			dir := t.TempDir()
			target := filepath.Join(t.TempDir(), "created-through-the-link")
			mustDo(t, os.Symlink(target, filepath.Join(dir, command.DebugLogName)))
			return dir, func(t *testing.T) {
				if _, err := os.Lstat(target); err == nil {
					t.Errorf("the log was created through a dangling link at %s", target)
				}
			}
		}, "is a symbolic link, not a regular file"},
		{"log is a hard link", func(t *testing.T) (string, func(*testing.T)) {
			dir, target := t.TempDir(), writeFile(t, "target")
			mustDo(t, os.Link(target, filepath.Join(dir, command.DebugLogName)))
			return dir, func(t *testing.T) { assertContent(t, target, "x") }
		}, "a file with 2 links, not a regular file"},
		{"log is a FIFO", func(t *testing.T) (string, func(*testing.T)) {
			dir := t.TempDir()
			makeFIFO(t, filepath.Join(dir, command.DebugLogName))
			return dir, nil
		}, "is a FIFO, not a regular file"},
		{"log is a directory", func(t *testing.T) (string, func(*testing.T)) {
			dir := t.TempDir()
			mustDo(t, os.Mkdir(filepath.Join(dir, command.DebugLogName), 0o700))
			return dir, nil
		}, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := searchInfo(t, "debug=true")
			var check func(*testing.T)
			info.DispatchDir, check = tt.setup(t)
			start := time.Now()
			res, err := splunkd.Run(bitsscoreBin, info, []splunkd.Chunk{{Body: []byte(goodRow), Finished: true}}, splunkd.Options{Timeout: hangLimit})
			if err != nil {
				t.Fatalf("the search failed: %v", err)
			}
			if elapsed := time.Since(start); elapsed > hangLimit {
				t.Errorf("the session took %v", elapsed)
			}
			if got := res.Replies[0].Table.Get(0, "IsBitsAdmin"); got != "1" {
				t.Errorf("IsBitsAdmin = %q, want 1: the chunk was not scored", got)
			}
			var msgs []scp.InspectorMessage
			if res.Info.Inspector != nil {
				msgs = res.Info.Inspector.Messages
			}
			if len(msgs) != 1 || msgs[0].Level != scp.LevelWarn || !strings.Contains(msgs[0].Text, "without a debug log") || !strings.Contains(msgs[0].Text, tt.warn) {
				t.Errorf("getinfo inspector messages %q, want one WARN saying the search goes on without a debug log because %q", msgs, tt.warn)
			}
			for i, r := range res.Replies {
				if len(r.Inspector) > 0 {
					t.Errorf("reply %d repeats messages %q", i+1, r.Inspector)
				}
			}
			if check != nil {
				check(t)
			}
		})
	}
}

// A new debug log is readable by the search's user only.
func TestDebugLogIsPrivate(t *testing.T) {
	info := searchInfo(t, "debug=t")
	runSessionWith(t, info, goodRow)
	st, err := os.Stat(filepath.Join(info.DispatchDir, command.DebugLogName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("debug log mode %04o, want 0600", perm)
	}
}

// Values from searchinfo are escaped in the log: a line break in sid or
// splunk_version cannot end the line or forge another.
func TestDebugLogEscapesValues(t *testing.T) {
	info := searchInfo(t, "debug=t")
	forged := "2026-01-01T00:00:00Z +0s pid=1 fatal: forged"
	info.SID = "1700000000.1\n" + forged
	info.SplunkVersion = "9.2.1\r\n" + forged + "\u2028" + forged + "\x00\xff"
	runSessionWith(t, info, goodRow)
	log, err := os.ReadFile(filepath.Join(info.DispatchDir, command.DebugLogName))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(log), "\n"), "\n")
	if len(lines) != 4 {
		t.Errorf("the log has %d lines, want 4 (getinfo, pipes, chunk 1, end of input):\n%s", len(lines), log)
	}
	linePrefix := regexp.MustCompile(`^\d{4}-\d\d-\d\dT[^ ]+ \+[^ ]+ pid=\d+ `)
	for i, line := range lines {
		if !linePrefix.MatchString(line) || strings.HasPrefix(line, "2026-01-01T00:00:00Z") {
			t.Errorf("line %d is not the command's own: %q", i+1, line)
		}
		if strings.ContainsAny(line, "\r\x00\u2028") || !utf8.ValidString(line) {
			t.Errorf("line %d holds a raw control character or invalid UTF-8: %q", i+1, line)
		}
	}
	if want := `sid 1700000000.1\n` + forged; !strings.Contains(lines[0], want) {
		t.Errorf("getinfo line %q lacks the escaped sid %q", lines[0], want)
	}
	if want := `splunk 9.2.1\r\n`; !strings.Contains(lines[0], want) {
		t.Errorf("getinfo line %q lacks the escaped version %q", lines[0], want)
	}
}

// runSessionWith runs one chunk through the binary with info, which must
// succeed.
func runSessionWith(t *testing.T, info scp.SearchInfo, body string) *splunkd.Result {
	t.Helper()
	res, err := splunkd.Run(bitsscoreBin, info, []splunkd.Chunk{{Body: []byte(body), Finished: true}}, splunkd.Options{Timeout: hangLimit})
	if err != nil {
		t.Fatalf("session failed: %v", err)
	}
	return res
}

func assertContent(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s now holds %q, want %q untouched", path, got, want)
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Errorf("%s holds %v, want nothing written there", dir, entries)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Without debug=t nothing is written to the dispatch directory.
func TestNoDebugLogByDefault(t *testing.T) {
	for _, args := range [][]string{nil, {"debug=f"}, {"debug=0"}} {
		info := searchInfo(t, args...)
		if _, err := splunkd.Run(bitsscoreBin, info, []splunkd.Chunk{{Body: []byte(goodRow), Finished: true}}, splunkd.Options{Timeout: hangLimit}); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		entries, err := os.ReadDir(info.DispatchDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) > 0 {
			t.Errorf("%q: the dispatch directory holds %v, want nothing", args, entries)
		}
	}
}

// searchbnf.conf documents debug=, as the syntax in error messages does.
func TestDebugArgumentDocumented(t *testing.T) {
	bnf, err := os.ReadFile(filepath.Join("..", "..", "default", "searchbnf.conf"))
	if err != nil {
		t.Fatalf("searchbnf.conf: %v", err)
	}
	if !strings.Contains(string(bnf), "(debug=<bool>)?") {
		t.Errorf("searchbnf.conf's syntax does not offer debug=<bool>")
	}
	if !strings.Contains(command.Syntax, "[debug=<bool>]") {
		t.Errorf("Syntax %q does not offer debug=<bool>", command.Syntax)
	}
}

func writeFile(t *testing.T, name string) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
