package scp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// fuzzLimits keep the fuzzer's allocations small; the logic they guard is
// the same at any size.
const (
	fuzzMaxMetadata = 1 << 10
	fuzzMaxBody     = 1 << 16
)

// referenceHeader is the header as the Python SDK's regular expression
// accepts it, on one line, with the lengths this reader can represent and
// within the length of line it allows.
var referenceHeader = regexp.MustCompile(`^chunked[ \t\r\v\f]+1\.0[ \t\r\v\f]*,[ \t\r\v\f]*(\d{1,18})[ \t\r\v\f]*,[ \t\r\v\f]*(\d{1,18})[ \t\r\v\f]*\n`)

// gotQuote is the quoted input an error shows; how much of it there is
// depends on how the bytes arrived, so comparisons leave it out.
var gotQuote = regexp.MustCompile(`got "(?:[^"\\]|\\.)*"`)

type readResult struct {
	Messages []string // metadata, NUL, body
	Err      string
	Offset   int64
}

func readEverything(r io.Reader) (readResult, error) {
	rd := NewReader(r)
	rd.MaxMetadataSize, rd.MaxBodySize = fuzzMaxMetadata, fuzzMaxBody
	var res readResult
	for {
		msg, err := rd.ReadMessage()
		res.Offset = rd.Offset()
		if err != nil {
			res.Err = gotQuote.ReplaceAllString(err.Error(), "got …")
			return res, err
		}
		res.Messages = append(res.Messages, string(msg.Metadata)+"\x00"+string(msg.Body))
	}
}

// FuzzReader holds the Reader to its contract on any stream: it ends in
// io.EOF or a *FormatError, never a panic; it reads the same messages and
// fails the same way whether the bytes arrive at once or one at a time (the
// header is judged as it arrives); it accepts a header exactly when the
// reference grammar does; and what it reads survives a Writer round trip.
func FuzzReader(f *testing.F) {
	f.Add([]byte("chunked 1.0,20,0\n{\"action\":\"getinfo\"}chunked 1.0,37,4\n{\"action\":\"execute\",\"finished\":false}a\n1\n"))
	f.Add([]byte("chunked  1.0 , 2 , 3 \r\n{}abc"))
	f.Add([]byte("chunked 1.0,2,99999\n{}"))
	f.Add([]byte("chunked 1.0,-1,0\n"))
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, err := readEverything(bytes.NewReader(data))
		var fe *FormatError
		if err != io.EOF && !errors.As(err, &fe) {
			t.Fatalf("ended with %T %v, want io.EOF or a *FormatError", err, err)
		}
		if whole.Offset > int64(len(data)) {
			t.Fatalf("offset %d beyond the %d bytes given", whole.Offset, len(data))
		}
		if err == io.EOF && whole.Offset != int64(len(data)) {
			t.Fatalf("clean end at offset %d of %d bytes", whole.Offset, len(data))
		}
		trickle, _ := readEverything(iotest.OneByteReader(bytes.NewReader(data)))
		if diff := cmp.Diff(whole, trickle); diff != "" {
			t.Fatalf("whole vs one byte at a time (-whole +trickle):\n%s", diff)
		}

		// The first header: accepted exactly when the reference accepts it.
		rd := NewReader(bytes.NewReader(data))
		rd.MaxMetadataSize, rd.MaxBodySize = fuzzMaxMetadata, fuzzMaxBody
		msg, err := rd.ReadMessage()
		accepted := err == nil || errors.Is(err, ErrTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) && rd.Offset() > 0
		m := referenceHeader.FindSubmatch(data)
		if ref := m != nil && len(m[0]) <= maxHeaderLine; accepted != ref {
			t.Fatalf("header accepted = %t, the reference says %t (err %v)", accepted, ref, err)
		}
		if err == nil {
			metaLen, _ := strconv.Atoi(string(m[1]))
			bodyLen, _ := strconv.Atoi(string(m[2]))
			if len(msg.Metadata) != metaLen || len(msg.Body) != bodyLen {
				t.Fatalf("read %d+%d bytes, the header declares %d+%d", len(msg.Metadata), len(msg.Body), metaLen, bodyLen)
			}
			var buf bytes.Buffer
			if err := NewWriter(&buf).WriteMessage(msg.Metadata, msg.Body); err != nil {
				t.Fatal(err)
			}
			strict := NewReader(&buf)
			strict.Strict = true
			again, err := strict.ReadMessage()
			if err != nil || !bytes.Equal(again.Metadata, msg.Metadata) || !bytes.Equal(again.Body, msg.Body) {
				t.Fatalf("writer round trip: %q %q, %v", again.Metadata, again.Body, err)
			}
		}
	})
}

// FuzzDecodeRequest holds DecodeRequest to its contract: no panic; success
// only for a JSON object with a known action; and a decoded request
// survives encoding and decoding again unchanged.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"searchinfo":{"args":["mode=spl"],"raw_args":["mode=spl"],"dispatch_dir":"/d","sid":"1.2","command":"bitsscore","maxresultrows":50000,"earliest_time":"1627333200.250","latest_time":0}}`))
	f.Add([]byte(`{"action":"execute","finished":true}`))
	f.Add([]byte(`{"action":"frobnicate"}`))
	f.Add([]byte(`[{"action":"execute"}]`))
	f.Add([]byte(`{"action":"execute","finished":"yes"}`))
	f.Add([]byte(`{"action":"getinfo","searchinfo":{"maxresultrows":1e400}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(data)
		if err != nil {
			return
		}
		if req.Action != ActionGetInfo && req.Action != ActionExecute {
			t.Fatalf("accepted action %q", req.Action)
		}
		if trimmed := bytes.TrimSpace(data); !json.Valid(trimmed) || trimmed[0] != '{' {
			t.Fatalf("accepted metadata that is not a JSON object: %q", data)
		}
		encoded, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", req, err)
		}
		again, err := DecodeRequest(encoded)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", encoded, err)
		}
		if diff := cmp.Diff(req, again); diff != "" {
			t.Fatalf("round trip through %s (-first +second):\n%s", encoded, diff)
		}
	})
}
