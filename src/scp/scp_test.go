package scp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestReadMessages(t *testing.T) {
	stream := "chunked 1.0,20,0\n{\"action\":\"getinfo\"}" +
		"chunked 1.0,37,10\n{\"action\":\"execute\",\"finished\":false}a,b\n1,\"2\n\"" +
		"chunked  1.0 , 36 , 0 \n{\"action\":\"execute\",\"finished\":true}"
	// One byte at a time: bodies arrive in pieces and must be read by count.
	r := NewReader(iotest.OneByteReader(strings.NewReader(stream)))
	var got []string
	for {
		msg, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(msg.Metadata)+"|"+string(msg.Body))
	}
	want := []string{
		`{"action":"getinfo"}|`,
		`{"action":"execute","finished":false}|a,b` + "\n1,\"2\n\"",
		`{"action":"execute","finished":true}|`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if r.Offset() != int64(len(stream)) {
		t.Errorf("Offset = %d, want %d", r.Offset(), len(stream))
	}
}

func TestReadMessageErrors(t *testing.T) {
	tests := []struct {
		name, stream string
		want         string
		tooLarge     bool
	}{
		{"garbage", "hello world\n", "expected a header", false},
		{"garbage without newline", strings.Repeat("x", 100000), "expected a header", false},
		{"garbage at once", "hello", "expected a header", false},
		{"negative length", "chunked 1.0,-5,0\n", "a length is negative", false},
		{"negative body length", "chunked 1.0,2,-1\n{}", "a length is negative", false},
		{"header too long", "chunked 1.0," + strings.Repeat(" ", 200) + "2,0\n{}", "without a newline", false},
		{"newline inside the header", "chunked\n1.0,2,0\n{}", "expected a header", false},
		{"huge length", "chunked 1.0,2,999999999999999\n{}", "over the limit", true},
		{"too many digits", "chunked 1.0,2,9999999999999999999999\n{}", "more than 18 digits", false},
		{"header cut", "chunked 1.0,2", "inside a header", false},
		{"body cut", "chunked 1.0,2,150\n{}abc", "body cut short", false},
		{"metadata cut", "chunked 1.0,20,0\n{\"a\"", "metadata cut short", false},
		{"version 2", "chunked 2.0,2,0\n{}", "expected a header", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.stream)).ReadMessage()
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FormatError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
			if errors.Is(err, ErrTooLarge) != tt.tooLarge {
				t.Errorf("errors.Is(err, ErrTooLarge) = %t, want %t", !tt.tooLarge, tt.tooLarge)
			}
		})
	}
}

// A header that claims a huge body must not make the reader allocate it.
func TestLyingHeaderAllocatesOnlyWhatArrives(t *testing.T) {
	stream := "chunked 1.0,2,900000000\n{}short"
	r := NewReader(strings.NewReader(stream))
	_, err := r.ReadMessage()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	if c := cap(r.body); c > 2*initialBodyAlloc {
		t.Errorf("body buffer grew to %d bytes for 5 bytes received", c)
	}
}

// Once a megabyte has arrived the buffer grows to the declared length in
// one step, but a lie costs at most trustedBodyAlloc more than arrived.
func TestLyingHeaderAfterAMegabyteCostsAtMostTheTrustedGrowth(t *testing.T) {
	sent := initialBodyAlloc + 10
	stream := fmt.Sprintf("chunked 1.0,2,900000000\n{}%s", strings.Repeat("x", sent))
	r := NewReader(strings.NewReader(stream))
	if _, err := r.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	if c := cap(r.body); c > sent+trustedBodyAlloc {
		t.Errorf("body buffer grew to %d bytes for %d bytes received", c, sent)
	}
}

// An honest large body is read with one copy of its first megabyte, not
// a copy at every doubling.
func TestLargeBodyGrowsOnce(t *testing.T) {
	body := bytes.Repeat([]byte("y"), 10*initialBodyAlloc)
	var b bytes.Buffer
	NewWriter(&b).WriteMessage([]byte("{}"), body)
	read := func(stream []byte, want int) float64 {
		return testing.AllocsPerRun(2, func() {
			var m Message
			if err := NewReader(bytes.NewReader(stream)).ReadMessageInto(&m); err != nil || len(m.Body) != want {
				t.Fatalf("%d bytes, %v", len(m.Body), err)
			}
		})
	}
	var tiny bytes.Buffer
	NewWriter(&tiny).WriteMessage([]byte("{}"), []byte("a\n"))
	allocs := read(b.Bytes(), len(body)) - read(tiny.Bytes(), 2)
	// The body's first megabyte, then the rest, against a tiny body's one.
	if allocs > 1 {
		t.Errorf("%.0f allocations to read a 10 MiB body, want the body's buffer grown once", allocs)
	}
}

// Bytes that cannot begin a header are refused as soon as they arrive: a
// peer that sends garbage without a newline, and keeps the pipe open, must
// not hang the session.
func TestGarbageRefusedWithoutNewline(t *testing.T) {
	for _, garbage := range []string{"GET / HTTP/1.1", "chunked 2", "chunked 1.0,x", "chunked 1.0,5,-"} {
		t.Run(garbage, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			go pw.Write([]byte(garbage))
			done := make(chan error, 1)
			go func() {
				_, err := NewReader(pr).ReadMessage()
				done <- err
			}()
			select {
			case err := <-done:
				var fe *FormatError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), "expected a header") {
					t.Errorf("err = %v, want a FormatError about the header", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("ReadMessage waited for a newline after bytes that cannot begin a header")
			}
		})
	}
}

// A valid header that arrives in pieces is waited for, not refused.
func TestHeaderInPieces(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		for _, piece := range []string{"c", "hunked ", "1", ".0,", "2", "0", ",0", " \r", "\n", `{"action":"getinfo"}`} {
			pw.Write([]byte(piece))
		}
		pw.Close()
	}()
	msg, err := NewReader(pr).ReadMessage()
	if err != nil || string(msg.Metadata) != `{"action":"getinfo"}` {
		t.Errorf("ReadMessage = %q, %v", msg.Metadata, err)
	}
}

func TestStrictHeader(t *testing.T) {
	for _, h := range []string{"chunked  1.0,2,0\n{}", "chunked 1.0, 2,0\n{}", "chunked 1.0,02,0\n{}", "chunked 1.0,2,0\r\n{}"} {
		r := NewReader(strings.NewReader(h))
		r.Strict = true
		if _, err := r.ReadMessage(); err == nil {
			t.Errorf("strict reader accepted %q", h)
		}
		if _, err := NewReader(strings.NewReader(h)).ReadMessage(); err != nil {
			t.Errorf("lenient reader refused %q: %v", h, err)
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	body := []byte("x\n\"a\r\nb\"\n")
	if err := w.WriteMessage([]byte(`{"finished":true}`), body); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "chunked 1.0,17,9\n{\"finished\":true}"+string(body); got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	r := NewReader(&buf)
	r.Strict = true
	msg, err := r.ReadMessage()
	if err != nil || !bytes.Equal(msg.Body, body) {
		t.Errorf("round trip: %q, %v", msg.Body, err)
	}
}

func TestDecodeRequest(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"searchinfo":{"args":["mode=spl"],"raw_args":["mode=spl"],"dispatch_dir":"/d","sid":"1627357489.9","splunk_version":"8.2.1","command":"bitsscore","maxresultrows":50000,"earliest_time":"1627333200.250","latest_time":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	si := req.SearchInfo
	if req.Action != ActionGetInfo || si == nil || si.MaxResultRows != "50000" || si.EarliestTime != "1627333200.250" || si.LatestTime != "0" || si.Args[0] != "mode=spl" {
		t.Errorf("decoded %+v / %+v", req, si)
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"action":"frobnicate"}`, `{}`, `{"action":"execute"`, `{"action":"execute","finished":"yes"}`} {
		if _, err := DecodeRequest([]byte(bad)); err == nil {
			t.Errorf("DecodeRequest(%q) succeeded", bad)
		}
	}
}

func TestErrorReply(t *testing.T) {
	meta, err := json.Marshal(ErrorReply("bad"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"finished":true,"error":"bad","inspector":{"messages":[["ERROR","bad"]]}}`; string(meta) != want {
		t.Errorf("got %s, want %s", meta, want)
	}

	// A huge error is clipped, so the reply stays small.
	huge := ErrorReply(strings.Repeat("é", 10<<20))
	if len(huge.Error) > MaxMessageText || !strings.HasSuffix(huge.Error, "…") || !utf8.ValidString(huge.Error) {
		t.Errorf("a 20 MB error became %d bytes (ends %q)", len(huge.Error), huge.Error[len(huge.Error)-8:])
	}
	if m := huge.Inspector.Messages; len(m) != 1 || m[0].Text != huge.Error {
		t.Errorf("inspector messages do not carry the clipped error")
	}
	// A message made without NewMessage is clipped on the wire.
	raw, err := json.Marshal(InspectorMessage{Level: LevelWarn, Text: strings.Repeat("x", 10*MaxMessageText)})
	if err != nil || len(raw) > MaxMessageText+len(`["WARN",""]`) {
		t.Errorf("a long message encodes to %d bytes (%v)", len(raw), err)
	}
}

// lyingBody declares one length and writes another.
type lyingBody struct {
	declared int
	content  string
}

func (b lyingBody) Len() int { return b.declared }
func (b lyingBody) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, b.content)
	return int64(n), err
}

// A body that writes itself is framed with the length it declares, and a
// body that writes a different length is an error, never a silently
// corrupt stream.
func TestWriteMessageBody(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteMessageBody([]byte(`{"finished":true}`), bytes.NewReader([]byte("a,b\n1,2\n"))); err != nil {
		t.Fatal(err)
	}
	if want := "chunked 1.0,17,8\n{\"finished\":true}a,b\n1,2\n"; buf.String() != want {
		t.Errorf("wrote %q, want %q", buf.String(), want)
	}
	for _, b := range []lyingBody{{declared: 5, content: "abc"}, {declared: 2, content: "abc"}} {
		err := NewWriter(io.Discard).WriteMessageBody(nil, b)
		if err == nil || !strings.Contains(err.Error(), "the stream is corrupt") {
			t.Errorf("declared %d, wrote %d: err %v", b.declared, len(b.content), err)
		}
	}
}

// A body written in small pieces reaches the stream in writes of the
// Writer's buffer size: NewWriterSize's larger buffer means fewer writes
// (system calls, on a pipe), and the bytes are the same.
func TestWriterSizeGathersWrites(t *testing.T) {
	record := []byte(strings.Repeat("x", 199) + "\n")
	body := bytes.Repeat(record, 3<<20/len(record)) // 3 MiB
	for _, tt := range []struct {
		size      int
		maxWrites int
	}{
		{DefaultWriterSize, len(body)/DefaultWriterSize + 2},
		{1 << 20, 4},
	} {
		var out countingWriter
		w := NewWriterSize(&out, tt.size)
		if err := w.WriteMessageBody([]byte(`{"finished":true}`), piecewiseBody{body, len(record)}); err != nil {
			t.Fatal(err)
		}
		if out.writes > tt.maxWrites || out.writes < len(body)/tt.size {
			t.Errorf("buffer %d: %d writes for a %d-byte body, want %d to %d", tt.size, out.writes, len(body), len(body)/tt.size, tt.maxWrites)
		}
		if want := "chunked 1.0,17," + strconv.Itoa(len(body)) + "\n{\"finished\":true}" + string(body); out.buf.String() != want {
			t.Errorf("buffer %d: the stream differs from the message", tt.size)
		}
	}
}

type countingWriter struct {
	buf    bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return w.buf.Write(p) }

// A piecewiseBody writes itself piece by piece, as a reply writes record by
// record.
type piecewiseBody struct {
	b     []byte
	piece int
}

func (b piecewiseBody) Len() int { return len(b.b) }

func (b piecewiseBody) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for rest := b.b; len(rest) > 0; {
		k, err := w.Write(rest[:min(b.piece, len(rest))])
		n += int64(k)
		if err != nil {
			return n, err
		}
		rest = rest[k:]
	}
	return n, nil
}

// Once a peer has sent a body of some size, a fresh buffer for the next
// one is allocated at that size at once, not grown by doubling: each step
// of doubling would allocate, zero and copy again. Reading a large body
// into a fresh Message allocates no more than reading a tiny one (whose
// body needs one allocation): counted in the same build, so the race
// detector's own allocations count on both sides.
func TestBufferGrowsAtOnceToAProvenSize(t *testing.T) {
	stream := func(body []byte, n int) *Reader {
		var b bytes.Buffer
		w := NewWriter(&b)
		for range n {
			w.WriteMessage([]byte(`{"action":"execute"}`), body)
		}
		return NewReader(&b)
	}
	freshReads := func(r *Reader, want int) float64 {
		return testing.AllocsPerRun(2, func() {
			var m Message // a fresh buffer, as a second read-ahead buffer is
			if err := r.ReadMessageInto(&m); err != nil || len(m.Body) != want {
				t.Fatalf("%d bytes, %v", len(m.Body), err)
			}
		})
	}
	tiny := freshReads(stream([]byte("a\n"), 4), 2)
	large := bytes.Repeat([]byte("x"), 5*initialBodyAlloc/2)
	r := stream(large, 5)
	var first Message
	if err := r.ReadMessageInto(&first); err != nil {
		t.Fatal(err)
	}
	if got := freshReads(r, len(large)); got > tiny {
		t.Errorf("%.0f allocations to read a %d-byte body the peer has sent before, %.0f for a 2-byte one", got, len(large), tiny)
	}
}

// ReadMessageFunc reports a body as it arrives: growing prefixes of the
// body, each with the declared length, the last one the whole body; bytes
// once reported never change; and the message and its errors are
// ReadMessageInto's, however the stream is cut into reads.
func TestReadMessageFuncReportsTheBodyAsItArrives(t *testing.T) {
	body := make([]byte, 3*initialBodyAlloc+12345)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	var stream bytes.Buffer
	w := NewWriter(&stream)
	w.WriteMessage([]byte(`{"action":"execute"}`), body)
	w.WriteMessage([]byte(`{"action":"execute"}`), []byte("x\n"))
	w.WriteMessage([]byte(`{"action":"execute"}`), nil)
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"half":     iotest.HalfReader,
		"one byte": iotest.OneByteReader,
		"data+err": iotest.DataErrReader,
		"64 KiB":   func(r io.Reader) io.Reader { return &piecesReader{r: r, piece: 64 << 10} },
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			if name == "one byte" {
				body := body[:70000] // a byte a read: keep it short
				var s bytes.Buffer
				NewWriter(&s).WriteMessage([]byte(`{}`), body)
				checkArrivals(t, NewReader(wrap(&s)), body)
				return
			}
			r := NewReader(wrap(bytes.NewReader(stream.Bytes())))
			checkArrivals(t, r, body)
			checkArrivals(t, r, []byte("x\n"))
			checkArrivals(t, r, nil)
			if err := r.ReadMessageFunc(&Message{}, func([]byte, int) { t.Error("arrived at the end of input") }); err != io.EOF {
				t.Errorf("at the end: %v, want io.EOF", err)
			}
		})
	}
	// A body cut short: the same error as ReadMessageInto, after the bytes
	// that did arrive were reported.
	cut := stream.Bytes()[:len(stream.Bytes())/3]
	_, want := NewReader(bytes.NewReader(cut)).ReadMessage()
	reported := 0
	err := NewReader(bytes.NewReader(cut)).ReadMessageFunc(&Message{}, func(b []byte, _ int) { reported = len(b) })
	if want == nil || err == nil || err.Error() != want.Error() {
		t.Errorf("cut short: %v, want %v", err, want)
	}
	if reported == 0 {
		t.Error("cut short: the bytes that arrived were not reported")
	}
}

func checkArrivals(t *testing.T, r *Reader, body []byte) {
	t.Helper()
	var msg Message
	var seen [][]byte  // what each call was given, as given
	var added [][]byte // a copy of what each call added
	err := r.ReadMessageFunc(&msg, func(b []byte, length int) {
		if length != len(body) {
			t.Fatalf("declared length %d, want %d", length, len(body))
		}
		prev := 0
		if len(seen) > 0 {
			prev = len(seen[len(seen)-1])
		}
		if len(b) <= prev {
			t.Fatalf("a report of %d bytes after one of %d", len(b), prev)
		}
		seen = append(seen, b)
		added = append(added, bytes.Clone(b[prev:]))
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(msg.Body, body) {
		t.Fatalf("body of %d bytes, want %d", len(msg.Body), len(body))
	}
	if len(body) == 0 {
		if len(seen) != 0 {
			t.Errorf("%d reports for an empty body", len(seen))
		}
		return
	}
	if len(seen) == 0 || len(seen[len(seen)-1]) != len(body) {
		t.Fatalf("the last report is not the whole body")
	}
	prev := 0
	for i, b := range seen {
		if !bytes.Equal(b[prev:], added[i]) || !bytes.Equal(b, body[:len(b)]) {
			t.Fatalf("report %d changed after it was made, or is not the body's prefix", i)
		}
		prev = len(b)
	}
}

// A piecesReader returns at most piece bytes a read, as a pipe returns
// what it holds.
type piecesReader struct {
	r     io.Reader
	piece int
}

func (p *piecesReader) Read(b []byte) (int, error) { return p.r.Read(b[:min(len(b), p.piece)]) }

// A buffer kept from a smaller body takes the next, larger one in its
// final array as soon as the first MiB of it has come (so that a caller
// scoring a body as it arrives can start), not only once the old buffer
// is full.
func TestKeptBufferGrowsOnceTheFirstMegabyteHasCome(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream)
	w.WriteMessage(nil, bytes.Repeat([]byte("a"), 4<<20))
	w.WriteMessage(nil, bytes.Repeat([]byte("b"), 4<<20+4096))
	r := NewReader(&piecesReader{r: &stream, piece: 256 << 10})
	var msg Message
	if err := r.ReadMessageInto(&msg); err != nil {
		t.Fatal(err)
	}
	finalFrom := -1
	err := r.ReadMessageFunc(&msg, func(b []byte, length int) {
		if cap(b) >= length && finalFrom < 0 {
			finalFrom = len(b)
		}
		if finalFrom >= 0 && cap(b) < length {
			t.Fatalf("the buffer shrank after it had its final size")
		}
	})
	if err != nil || len(msg.Body) != 4<<20+4096 {
		t.Fatalf("%d bytes, %v", len(msg.Body), err)
	}
	if finalFrom < 0 || finalFrom > initialBodyAlloc+2*256<<10 {
		t.Errorf("the buffer had its final size from byte %d; want by %d (the first MiB and a read)", finalFrom, initialBodyAlloc+2*256<<10)
	}
}
