package command_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bitsscore/src/command"
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

// A debug log that cannot be written must not fail the search, nor
// complain on stderr: it is a diagnostic aid.
func TestDebugLogUnwritable(t *testing.T) {
	for name, dir := range map[string]string{
		"missing directory":      filepath.Join(t.TempDir(), "gone"),
		"dispatch dir is a file": writeFile(t, "not-a-dir"),
		"no dispatch dir given":  "",
	} {
		t.Run(name, func(t *testing.T) {
			info := searchInfo(t, "debug=true")
			info.DispatchDir = dir
			res, err := splunkd.Run(bitsscoreBin, info, []splunkd.Chunk{{Body: []byte(goodRow), Finished: true}}, splunkd.Options{Timeout: hangLimit})
			if err != nil {
				t.Fatalf("the search failed: %v", err)
			}
			if got := res.Replies[0].Table.Get(0, "IsBitsAdmin"); got != "1" {
				t.Errorf("IsBitsAdmin = %q, want 1: the chunk was not scored", got)
			}
		})
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
