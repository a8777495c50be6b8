package command_test

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"bitsscore/src/internal/fixture"
	"bitsscore/src/scp"
	"bitsscore/src/splunkd"
)

// recording reads a splunk-sdk-python recording of what splunkd wrote to
// a command's stdin (testdata/scpv2-recordings, Apache-2.0).
func recording(t *testing.T, name string) []byte {
	t.Helper()
	return fixture.Gunzip(t, filepath.Join("..", "..", "testdata", "scpv2-recordings", name))
}

// executeChunks returns the execute requests of a recording. Its getinfo
// carries another command's arguments, so tests send their own.
func executeChunks(t *testing.T, stream []byte) []splunkd.Chunk {
	t.Helper()
	r := scp.NewReader(bytes.NewReader(stream))
	var chunks []splunkd.Chunk
	for {
		msg, err := r.ReadMessage()
		if err == io.EOF {
			return chunks
		}
		if err != nil {
			t.Fatal(err)
		}
		req, err := scp.DecodeRequest(msg.Metadata)
		if err != nil {
			t.Fatal(err)
		}
		if req.Action == scp.ActionExecute {
			chunks = append(chunks, splunkd.Chunk{Body: bytes.Clone(msg.Body), Finished: req.Finished})
		}
	}
}

// Every input value of a real Splunk chunk comes back unchanged, with the
// command's fields added, whatever the chunk holds.
func TestRecordings(t *testing.T) {
	tests := []struct {
		file          string
		records, cols int
	}{
		{"countmatches.input.gz", 500, 6}, // tweets: heavy UTF-8, embedded newlines
		{"sum.map.input.gz", 50000, 48},   // one 16 MB chunk, every field with an __mv_ column
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			chunks := executeChunks(t, recording(t, tt.file))
			if len(chunks) != 1 {
				t.Fatalf("recording has %d execute chunks, want 1", len(chunks))
			}
			in, err := splunkd.DecodeTable(chunks[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Rows) != tt.records || len(in.Header) != tt.cols {
				t.Fatalf("fixture has %d records of %d columns, want %d of %d", len(in.Rows), len(in.Header), tt.records, tt.cols)
			}
			res := runSession(t, chunks, splunkd.Options{})
			out := res.Replies[0].Table
			if len(out.Rows) != len(in.Rows) {
				t.Fatalf("%d records came back, %d were sent", len(out.Rows), len(in.Rows))
			}
			for c, name := range in.Header {
				oc := out.Column(name)
				if oc < 0 {
					t.Fatalf("column %s was dropped", name)
				}
				for r := range in.Rows {
					if in.Rows[r][c] != out.Rows[r][oc] {
						t.Fatalf("record %d field %s changed: %q -> %q", r, name, in.Rows[r][c], out.Rows[r][oc])
					}
				}
			}
			for _, f := range outputFields {
				c := out.Column(f)
				if c < 0 {
					t.Fatalf("field %s was not added", f)
				}
				for r := range out.Rows {
					// These events have no Image or CommandLine: the SPL's
					// coalesce gives "" and every indicator is 0.
					want := "0"
					if f == "CommandLine" || f == "Image" {
						want = ""
					}
					if out.Rows[r][c] != want {
						t.Fatalf("record %d %s = %q, want %q", r, f, out.Rows[r][c], want)
					}
				}
			}
		})
	}
}

// The generatehello recording declares a 150-byte body and ends: the
// command must say so, not hang or exit quietly.
func TestTruncatedRecording(t *testing.T) {
	stream := recording(t, "generatehello.input.gz")
	r := scp.NewReader(bytes.NewReader(stream))
	if _, err := r.ReadMessage(); err != nil { // its getinfo (count=1000: not our argument)
		t.Fatal(err)
	}
	rest := stream[r.Offset():]

	s, err := splunkd.Start(bitsscoreBin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetInfo(searchInfo(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.SendRaw(rest); err != nil {
		t.Fatal(err)
	}
	s.CloseInput()
	_, err = s.ReadExecuteReply(nil, true)
	var ce *splunkd.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want an error reply", err)
	}
	if !strings.Contains(ce.Text, "body cut short (declared 150 bytes)") {
		t.Errorf("error %q does not say the body was cut short", ce.Text)
	}
	exit, err := s.Wait()
	if err != nil || exit.Code == 0 || len(exit.Stderr) > 0 {
		t.Errorf("exit: %v, %s; want a non-zero status and silent stderr", err, exit)
	}

	// Replayed whole, the recording's own getinfo is refused first, with
	// the reason: its argument belongs to another command.
	s, err = splunkd.Start(bitsscoreBin)
	if err != nil {
		t.Fatal(err)
	}
	s.SendRaw(stream)
	s.CloseInput()
	msg, err := s.ReadReply()
	if err != nil || !bytes.Contains(msg.Metadata, []byte(`unknown argument \"count\"`)) {
		t.Errorf("whole replay: reply %q, %v", msg.Metadata, err)
	}
	if exit, _ := s.Wait(); exit.Code == 0 {
		t.Errorf("whole replay exited 0")
	}
}
