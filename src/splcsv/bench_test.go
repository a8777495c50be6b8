package splcsv_test

import (
	"bytes"
	"testing"

	"bitsscore/src/internal/testevents"
	. "bitsscore/src/splcsv"
)

const benchEvents = 50000

// BenchmarkReaderScan reads every record of a 50,000-event chunk without
// decoding a value: the floor of the command's per-record cost.
func BenchmarkReaderScan(b *testing.B) {
	body := testevents.Body(benchEvents, 1)
	r := NewReader(nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		if _, err := r.ReadHeader(); err != nil {
			b.Fatal(err)
		}
		for {
			f, err := r.Next()
			if err != nil {
				b.Fatal(err)
			}
			if f == nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N*benchEvents)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWriterCopyRecords writes every record whole, as the command does
// when no owned cell changes, plus ten short cells.
func BenchmarkWriterCopyRecords(b *testing.B) {
	body := testevents.Body(benchEvents, 1)
	r := NewReader(nil)
	w := NewWriter()
	one := []byte("1")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		w.Reset()
		r.ReadHeader()
		for {
			f, _ := r.Next()
			if f == nil {
				break
			}
			w.WriteRaw(r.Record())
			for range 10 {
				w.WriteField(one)
			}
			w.EndRecord()
		}
	}
}

func BenchmarkDecodeMultivalue(b *testing.B) {
	mv := []byte(`$C:\Windows\System32\bitsadmin.exe$;$C:\Windows\System32\cmd.exe$;$pay $$5$`)
	var dst [][]byte
	var scratch []byte
	b.SetBytes(int64(len(mv)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		dst, scratch, err = DecodeMultivalue(mv, dst[:0], scratch[:0])
		if err != nil || len(dst) != 3 {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendFieldQuoted(b *testing.B) {
	v := []byte(`"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US, "quoted"`)
	var dst []byte
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendField(dst[:0], v)
	}
	if !bytes.HasPrefix(dst, []byte(`"""C:`)) {
		b.Fatal("not quoted")
	}
}
