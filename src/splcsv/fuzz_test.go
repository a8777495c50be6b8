package splcsv

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tableFromFuzz cuts fuzz bytes into a table: a column count, then values,
// each a length byte (mod 64) and that many bytes, so any byte can be in
// any value. The first values name the columns; an empty or repeated name
// is replaced, since a header must not have one.
func tableFromFuzz(columns uint8, data []byte) (header []string, rows [][]string) {
	n := 1 + int(columns%8)
	var values []string
	for len(data) > 0 {
		size := min(int(data[0]%64), len(data)-1)
		values = append(values, string(data[1:1+size]))
		data = data[1+size:]
	}
	seen := map[string]bool{}
	for c := 0; c < n; c++ {
		name := fmt.Sprintf("c%d", c)
		if len(values) > 0 {
			if v := values[0]; v != "" && !seen[v] {
				name = v
			}
			values = values[1:]
		}
		if seen[name] {
			name = fmt.Sprintf("c%d.%d", c, len(seen))
		}
		seen[name] = true
		header = append(header, name)
	}
	for len(values) > 0 {
		row := make([]string, n)
		copy(row, values)
		values = values[min(n, len(values)):]
		rows = append(rows, row)
	}
	return header, rows
}

func writeTable(header []string, rows [][]string) []byte {
	w := NewWriter()
	for _, h := range header {
		w.WriteString(h)
	}
	w.EndRecord()
	for _, row := range rows {
		for _, v := range row {
			w.WriteField([]byte(v))
		}
		w.EndRecord()
	}
	return w.Bytes()
}

// FuzzCSVRoundTrip: any table the Writer writes, the Reader reads back
// value for value, and writing back the Raw cells it read reproduces the
// body byte for byte (the command's passthrough).
func FuzzCSVRoundTrip(f *testing.F) {
	f.Add(uint8(2), []byte("\x01a\x01b\x011\x042\n,\""))
	f.Add(uint8(0), []byte("\x01a\x00\x00\x01x"))
	f.Add(uint8(3), []byte("\x05_time\x0bCommandLine\x0c_chunked_idx\x0433.5\x07a \"b\" c\x010"))
	f.Add(uint8(1), []byte("\x01a\x02\r\n\x01\r\x03\xff\x00\xfe\x02 x"))
	f.Fuzz(func(t *testing.T, columns uint8, data []byte) {
		header, rows := tableFromFuzz(columns, data)
		body := writeTable(header, rows)
		gotHeader, gotRows, err := readAll(t, body)
		if err != nil {
			t.Fatalf("reading what the Writer wrote, %q: %v", body, err)
		}
		if diff := cmp.Diff(header, gotHeader); diff != "" {
			t.Fatalf("header of %q (-written +read):\n%s", body, diff)
		}
		if diff := cmp.Diff(rows, gotRows); diff != "" {
			t.Fatalf("rows of %q (-written +read):\n%s", body, diff)
		}
		if again := rewriteRaw(t, body); !bytes.Equal(again, body) {
			t.Fatalf("raw cells written back differ:\n%q\n%q", body, again)
		}
	})
}

// rewriteRaw reads a body and writes every cell back as its Raw bytes.
func rewriteRaw(t *testing.T, body []byte) []byte {
	t.Helper()
	r := NewReader(body)
	fields, err := r.ReadHeader()
	if err != nil {
		t.Fatalf("rewriteRaw: %v", err)
	}
	w := NewWriter()
	for fields != nil {
		// A record is its cells and the commas between them, in place.
		start, end := r.RecordSpan()
		if record := r.Record(); !bytes.Equal(record, body[start:end]) {
			t.Fatalf("Record %q is not body[%d:%d] %q", record, start, end, body[start:end])
		}
		for _, f := range fields {
			w.WriteRaw(f.Raw)
		}
		if cells := w.Bytes()[len(w.Bytes())-(end-start):]; !bytes.Equal(cells, body[start:end]) {
			t.Fatalf("record span %q, its cells rewritten %q", body[start:end], cells)
		}
		w.EndRecord()
		if fields, err = r.Next(); err != nil {
			t.Fatalf("rewriteRaw: %v", err)
		}
	}
	return w.Bytes()
}

// FuzzCSVReader: on any bytes the Reader returns records or a *ParseError,
// never panics; every cell's Raw is a piece of the body; and a body it
// accepts means the same when its Raw cells are written back, and when its
// values are written anew.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("\"_time\",CommandLine,\"_chunked_idx\"\n\"33.5\",\"a,b\",0\n"))
	f.Add([]byte("a,b\r\n1,2\r\n\r\n3,4"))
	f.Add([]byte("a\n\"x\"\"y\"\n\n"))
	f.Add([]byte("a,a\n1,2\n"))
	f.Add([]byte("a,b\n1,\"2\n"))
	f.Add([]byte("a\nx\r"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewReader(body)
		if _, err := r.ReadHeader(); err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("header error %T %v, want a *ParseError", err, err)
			}
			return
		}
		header := append([]string(nil), r.Header()...)
		var rows [][]string
		for {
			fields, err := r.Next()
			if err != nil {
				if _, ok := err.(*ParseError); !ok {
					t.Fatalf("record error %T %v, want a *ParseError", err, err)
				}
				return
			}
			if fields == nil {
				break
			}
			row := make([]string, len(fields))
			for i, f := range fields {
				if len(f.Raw) > 0 && !bytes.Contains(body, f.Raw) {
					t.Fatalf("Raw %q is not in the body", f.Raw)
				}
				row[i] = string(f.AppendValue(nil))
				if v, _ := f.Value(nil); string(v) != row[i] {
					t.Fatalf("Value %q != AppendValue %q", v, row[i])
				}
				if f.IsEmpty() != (row[i] == "") {
					t.Fatalf("IsEmpty = %t for value %q", f.IsEmpty(), row[i])
				}
			}
			rows = append(rows, row)
		}
		if header == nil {
			return // an empty body
		}
		for name, again := range map[string][]byte{"raw": rewriteRaw(t, body), "values": writeTable(header, rows)} {
			h, rs, err := readAll(t, again)
			if err != nil {
				t.Fatalf("%s written back, %q does not read: %v", name, again, err)
			}
			if diff := cmp.Diff(header, h); diff != "" {
				t.Fatalf("%s written back: header (-first +again):\n%s", name, diff)
			}
			if diff := cmp.Diff(rows, rs); diff != "" {
				t.Fatalf("%s written back, %q: rows (-first +again):\n%s", name, again, diff)
			}
		}
	})
}

// referenceMultivalue is the decoding docs/scpv2.md gives for an __mv_
// cell, as splunk-sdk-python applies it.
var referenceMultivalue = regexp.MustCompile(`\$((?:\$\$|[^$])*)\$(?:;|$)`)

// FuzzMultivalue: a cell DecodeMultivalue accepts is exactly what
// AppendMultivalue writes for its values and agrees with the reference
// decoding; values from any bytes survive the encoding.
func FuzzMultivalue(f *testing.F) {
	f.Add([]byte("$a$;$b$"))
	f.Add([]byte("$echo $$a$;$Start-BitsTransfer x$"))
	f.Add([]byte("$$;$$"))
	f.Add([]byte("$a$;"))
	f.Add([]byte("$a$b$"))
	f.Add([]byte("a$;$b"))
	f.Fuzz(func(t *testing.T, cell []byte) {
		values, _, err := DecodeMultivalue(cell, nil, []byte("scratch:"))
		if err == nil {
			if again := AppendMultivalue(nil, values); !bytes.Equal(again, cell) {
				t.Fatalf("%q decodes to %q, which encodes as %q", cell, values, again)
			}
			var want []string
			for _, m := range referenceMultivalue.FindAllSubmatch(cell, -1) {
				want = append(want, string(bytes.ReplaceAll(m[1], []byte("$$"), []byte("$"))))
			}
			if diff := cmp.Diff(want, asStrings(values)); diff != "" {
				t.Fatalf("%q: (-reference +DecodeMultivalue):\n%s", cell, diff)
			}
		}
		// Any bytes, cut at ';' into values, survive encoding.
		parts := bytes.Split(cell, []byte(";"))
		encoded := AppendMultivalue(nil, parts)
		decoded, _, err := DecodeMultivalue(encoded, nil, nil)
		if err != nil {
			t.Fatalf("%q encoded as %q does not decode: %v", parts, encoded, err)
		}
		if diff := cmp.Diff(asStrings(parts), asStrings(decoded)); diff != "" {
			t.Fatalf("encoded as %q (-values +decoded):\n%s", encoded, diff)
		}
	})
}

func asStrings(values [][]byte) []string {
	var out []string
	for _, v := range values {
		out = append(out, string(v))
	}
	return out
}
