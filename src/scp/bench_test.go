package scp

import (
	"bytes"
	"testing"
)

// A 10 MB body, about what a 50,000-event chunk of process events weighs.
var benchBody = bytes.Repeat([]byte(`"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule","C:\Windows\System32\svchost.exe",12345,,,`+"\n"), 100000)

func BenchmarkReadMessage(b *testing.B) {
	var stream bytes.Buffer
	w := NewWriter(&stream)
	w.WriteMessage([]byte(`{"action":"execute","finished":false}`), benchBody)
	data := stream.Bytes()
	r := NewReader(bytes.NewReader(data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.br.Reset(bytes.NewReader(data))
		if _, err := r.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteMessage writes into memory: the cost of framing and
// copying, without a pipe's.
func BenchmarkWriteMessage(b *testing.B) {
	var out bytes.Buffer
	out.Grow(len(benchBody) + 100)
	w := NewWriter(&out)
	meta := []byte(`{"finished":false}`)
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := w.WriteMessage(meta, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
