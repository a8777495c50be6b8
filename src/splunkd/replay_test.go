package splunkd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/scp"
)

// A Replay sends each chunk's required columns, and merges the replies
// into the events: the table has every chunk's columns (a companion next
// to its field) then what the replies added, each event the cells of its
// own chunk and reply, the others empty.
func TestReplayMerges(t *testing.T) {
	execute := func(body string) string { return framed(`{"finished":false}`, body) }
	replies := framed(`{"type":"streaming","required_fields":["a","c"]}`, "") +
		execute("a,_chunked_idx,out\n1,0,o1\n") +
		execute("c,a,_chunked_idx,out,extra\nQ,2,0,o2,e\n") +
		execute("a,_chunked_idx,out\n\"3\n4\",0,o3\n") +
		framed(`{"finished":true}`, "")
	path := filepath.Join(t.TempDir(), "replies")
	if err := os.WriteFile(path, []byte(replies), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start("/bin/sh", "-c", `cat "$0"; cat >/dev/null`, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 10 * time.Second
	var requests []string
	s.Trace = func(toCommand bool, _, body []byte) {
		if toCommand {
			requests = append(requests, string(body))
		}
	}
	if _, err := s.GetInfo(scp.SearchInfo{}); err != nil {
		t.Fatal(err)
	}
	r, err := s.NewReplay(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, events := range []string{
		"a,b\n1,x\n",
		"c,a\n\"q\",2\n",
		"b,a,__mv_a\ny,\"3\n4\",$3$;$4$\n",
	} {
		if _, err := r.Execute([]byte(events)); err != nil {
			t.Fatalf("%q: %v", events, err)
		}
	}
	if _, err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	if exit, err := s.Wait(); err != nil || exit.Code != 0 {
		t.Fatalf("exit %v, %v", exit, err)
	}
	wantRequests := []string{"", "a,_chunked_idx\n1,0\n", "c,a,_chunked_idx\nq,2,0\n", "a,_chunked_idx\n\"3\n4\",0\n", "a,_chunked_idx\n"}
	if diff := cmp.Diff(wantRequests, requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if _, err := r.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	want := "a,__mv_a,b,c,out,extra\n" +
		"1,,x,,o1,\n" +
		"2,,,Q,o2,e\n" +
		"\"3\n4\",$3$;$4$,y,,o3,\n"
	if got := out.String(); got != want {
		t.Errorf("merged events:\n%s\nwant\n%s", got, want)
	}
	if r.Events() != 3 {
		t.Errorf("Events() = %d, want 3", r.Events())
	}
}

// ExecuteEvents merges into the table, whose columns come first.
func TestExecuteEventsMergesIntoTable(t *testing.T) {
	replies := framed(`{"type":"streaming"}`, "") +
		framed(`{"finished":false}`, "x,y,_chunked_idx,z\n1,Y,0,z1\n") +
		framed(`{"finished":false}`, "x,y,_chunked_idx,z\n2,,0,z2\n") +
		framed(`{"finished":true}`, "")
	path := filepath.Join(t.TempDir(), "replies")
	os.WriteFile(path, []byte(replies), 0o644)
	s, err := Start("/bin/sh", "-c", `cat "$0"; cat >/dev/null`, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = 10 * time.Second
	defer s.Wait()
	if _, err := s.GetInfo(scp.SearchInfo{}); err != nil {
		t.Fatal(err)
	}
	events := &Table{Header: []string{"x", "y"}, Rows: [][]string{{"1", "a,b"}, {"2", "c"}}}
	if _, err := s.ExecuteEvents(events, 1); err != nil {
		t.Fatal(err)
	}
	want := &Table{Header: []string{"x", "y", "z"}, Rows: [][]string{{"1", "Y", "z1"}, {"2", "", "z2"}}}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("merged table (-want +got):\n%s", diff)
	}
	if got := string(events.Encode()); !strings.HasPrefix(got, "x,y,z\n") {
		t.Errorf("Encode = %q", got)
	}
}
