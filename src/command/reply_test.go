package command

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scoreBody scores body with s and returns the reply in one piece. Every
// test that scores a chunk goes through it, so each also checks that the
// reply writes what it declares: WriteTo sends exactly AppendTo's bytes,
// Len of them.
func scoreBody(tb testing.TB, s *chunkScorer, body []byte) ([]byte, error) {
	tb.Helper()
	w, err := s.score(body)
	if err != nil {
		return nil, err
	}
	return checkedReply(tb, reply{w}), nil
}

func checkedReply(tb testing.TB, r reply) []byte {
	tb.Helper()
	flat := r.bytes()
	var sent bytes.Buffer
	n, err := r.WriteTo(&sent)
	if err != nil || n != int64(sent.Len()) || !bytes.Equal(sent.Bytes(), flat) || r.Len() != len(flat) {
		tb.Fatalf("WriteTo wrote %d bytes (err %v), Len %d, AppendTo %d bytes, equal %t",
			n, err, r.Len(), len(flat), bytes.Equal(sent.Bytes(), flat))
	}
	return flat
}

// shortWriter fails after limit bytes.
type shortWriter struct{ limit int }

func (w *shortWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, fmt.Errorf("full")
	}
	w.limit -= len(p)
	return len(p), nil
}

// A replyWriter interleaves encoded and shared bytes in the order written,
// and reports a failed write with the bytes that made it.
func TestReplyWriter(t *testing.T) {
	w := newReplyWriter()
	request := []byte("a,b\nc,d\n")
	w.Reset(request)
	w.WriteString("h1")
	w.WriteString("h2")
	w.WriteString("new")
	w.EndRecord()
	w.WriteFromSource(0, 3) // a record starts: no separator
	w.WriteString("x")
	w.EndRecord()
	w.WriteString("first")
	w.WriteFromSource(4, 7) // mid-record: a separator before it
	w.EndRecord()
	want := "h1,h2,new\na,b,x\nfirst,c,d\n"
	if got := string(checkedReply(t, reply{w})); got != want {
		t.Errorf("reply:\n%s", cmp.Diff(want, got))
	}
	for limit := 0; limit < len(want); limit++ {
		var sink shortWriter
		sink.limit = limit
		n, err := w.WriteTo(&sink)
		if err == nil || n != int64(limit) {
			t.Errorf("limit %d: wrote %d, err %v", limit, n, err)
		}
	}
	w.Reset(nil)
	if w.Len() != 0 || len(w.shared) != 0 {
		t.Errorf("after Reset: Len %d, %d shared spans", w.Len(), len(w.shared))
	}
}
