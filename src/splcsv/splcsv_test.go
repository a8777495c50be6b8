package splcsv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readAll decodes a body into its header and cell values.
func readAll(t testing.TB, body []byte) ([]string, [][]string, error) {
	t.Helper()
	return readFrom(t, NewReader(body))
}

// readFrom decodes the body r reads.
func readFrom(t testing.TB, r *Reader) ([]string, [][]string, error) {
	t.Helper()
	if _, err := r.ReadHeader(); err != nil {
		return nil, nil, err
	}
	var rows [][]string
	for {
		fields, err := r.Next()
		if err != nil {
			return nil, nil, err
		}
		if fields == nil {
			return r.Header(), rows, nil
		}
		row := make([]string, len(fields))
		for i, f := range fields {
			v, _ := f.Value(nil)
			row[i] = string(v)
		}
		rows = append(rows, row)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		header []string
		rows   [][]string
	}{
		{"splunk style", "\"_time\",CommandLine,\"_chunked_idx\"\n\"33.5\",\"a,b\",0\n", []string{"_time", "CommandLine", "_chunked_idx"}, [][]string{{"33.5", "a,b", "0"}}},
		{"python sdk crlf", "a,b\r\n1,2\r\n3,4\r\n", []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"crlf kept inside quotes", "a,b\n\"x\r\ny\",2\n", []string{"a", "b"}, [][]string{{"x\r\ny", "2"}}},
		{"lone cr is data", "a,b\nx\ry,2\n", []string{"a", "b"}, [][]string{{"x\ry", "2"}}},
		{"doubled quotes", "a\n\"say \"\"hi\"\"\"\n", []string{"a"}, [][]string{{`say "hi"`}}},
		{"no final newline", "a,b\n1,2", []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"empty cells", "a,b,c\n,,\n", []string{"a", "b", "c"}, [][]string{{"", "", ""}}},
		{"header only", "a,b\n", []string{"a", "b"}, nil},
		{"blank line skipped with several columns", "a,b\n1,2\n\n3,4\n", []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"blank line is a record with one column", "a\n1\n\n2\n", []string{"a"}, [][]string{{"1"}, {""}, {"2"}}},
		{"nul and invalid utf-8", "a\n\"\x00\xff\xfe\"\n", []string{"a"}, [][]string{{"\x00\xff\xfe"}}},
		{"bare quote inside unquoted", "a\nab\"c\n", []string{"a"}, [][]string{{`ab"c`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header, rows, err := readAll(t, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.header, header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.rows, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"ragged short", "a,b\n1\n", "record has 1 fields, the header has 2"},
		{"ragged long", "a,b\n1,2\n1,2,3\n", "line 3: record has 3 fields"},
		{"unterminated quote", "a,b\n1,\"2\n3,4\n", "never closed"},
		{"junk after quote", "a\n\"x\"y\n", "after a closing quote"},
		{"duplicate column", "a,b,a\n", "names column \"a\" twice"},
		{"empty column name", "a,,b\n", "empty column name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tt.body))
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a *ParseError mentioning %q", err, tt.want)
			}
		})
	}
}

// A Ragged reader hands records back with the fields they have.
func TestReaderRagged(t *testing.T) {
	r := NewReader([]byte("a,b\n1\n\n1,2,3\n"))
	r.Ragged = true
	_, rows, err := readFrom(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"1"}, {"1", "2", "3"}}, rows); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// Raw hands back the exact bytes of every cell, so writing Raw cells in
// order reproduces a body (with "\n" line ends) byte for byte.
func TestRawPassthrough(t *testing.T) {
	body := "\"_raw\",x,y\n\"a \"\"q\"\"\r\nb\",plain,\"\"\n\"\",\xff\x00\r,\"t\"\n"
	r := NewReader([]byte(body))
	w := NewWriter()
	header, err := r.ReadHeader()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range header {
		w.WriteRaw(f.Raw)
	}
	w.EndRecord()
	for {
		fields, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if fields == nil {
			break
		}
		for _, f := range fields {
			w.WriteRaw(f.Raw)
		}
		w.EndRecord()
	}
	if got := string(w.Bytes()); got != body {
		t.Errorf("passthrough changed the body:\n got %q\nwant %q", got, body)
	}
}

func TestWriterQuoting(t *testing.T) {
	tests := map[string]string{
		"":          "",
		"plain":     "plain",
		"a,b":       `"a,b"`,
		`say "hi"`:  `"say ""hi"""`,
		"l1\nl2":    "\"l1\nl2\"",
		"cr\r":      "\"cr\r\"",
		" lead":     `" lead"`,
		"trail\t":   "\"trail\t\"",
		"C:\\x y.z": "C:\\x y.z",
	}
	for value, want := range tests {
		if got := string(AppendField(nil, []byte(value))); got != want {
			t.Errorf("AppendField(%q) = %q, want %q", value, got, want)
		}
	}
}

// Random values survive a write and a read unchanged.
func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "0", ",", "\"", "\n", "\r", "\r\n", " ", "\t", "$", ";", "\x00", "\xff", "é", "𝄞", "\\"}
	for iter := 0; iter < 2000; iter++ {
		cols := 1 + rng.IntN(5)
		header := make([]string, cols)
		for c := range header {
			header[c] = fmt.Sprintf("f%d,\"%d\"", c, iter)
		}
		rows := make([][]string, rng.IntN(6))
		for r := range rows {
			rows[r] = make([]string, cols)
			for c := range rows[r] {
				var sb strings.Builder
				for n := rng.IntN(12); n > 0; n-- {
					sb.WriteString(alphabet[rng.IntN(len(alphabet))])
				}
				rows[r][c] = sb.String()
			}
		}
		body := writeTable(header, rows)
		gotHeader, gotRows, err := readAll(t, bytes.Clone(body))
		if err != nil {
			t.Fatalf("iteration %d: %v\nbody %q", iter, err, body)
		}
		if diff := cmp.Diff(header, gotHeader); diff != "" {
			t.Fatalf("iteration %d header (-want +got):\n%s", iter, diff)
		}
		if diff := cmp.Diff(rows, gotRows, cmp.Comparer(func(a, b [][]string) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
			t.Fatalf("iteration %d rows (-want +got):\n%s\nbody %q", iter, diff, body)
		}
	}
}

func TestMultivalue(t *testing.T) {
	tests := []struct {
		mv   string
		want []string
	}{
		{"", nil},
		{"$a$", []string{"a"}},
		{"$a$;$b$", []string{"a", "b"}},
		{"$$;$$", []string{"", ""}},
		{"$pay $$5$;$x$$$", []string{"pay $5", "x$"}},
		{"$line1\nline2$;$;$", []string{"line1\nline2", ";"}},
	}
	for _, tt := range tests {
		vals, _, err := DecodeMultivalue([]byte(tt.mv), nil, nil)
		if err != nil {
			t.Errorf("DecodeMultivalue(%q): %v", tt.mv, err)
			continue
		}
		got := make([]string, len(vals))
		for i, v := range vals {
			got[i] = string(v)
		}
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DecodeMultivalue(%q) (-want +got):\n%s", tt.mv, diff)
		}
		if tt.want != nil {
			raw := make([][]byte, len(tt.want))
			for i, v := range tt.want {
				raw[i] = []byte(v)
			}
			if enc := string(AppendMultivalue(nil, raw)); enc != tt.mv {
				t.Errorf("AppendMultivalue(%q) = %q, want %q", tt.want, enc, tt.mv)
			}
		}
	}
	for _, bad := range []string{"a", "$a", "$a$b", "$a$;", "$a$;b", "$a$$", ";$a$", "$a$;;$b$"} {
		if _, _, err := DecodeMultivalue([]byte(bad), nil, nil); !errors.Is(err, ErrMultivalue) {
			t.Errorf("DecodeMultivalue(%q) err = %v, want ErrMultivalue", bad, err)
		}
	}
}

// Record is the exact bytes of each record, without its line end.
func TestRecord(t *testing.T) {
	body := "a,b\r\n1,\"x\r\ny\"\r\n2,\"q\"\n3,\r\n4,z"
	r := NewReader([]byte(body))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if got := string(r.Record()); got != "a,b" {
		t.Errorf("header record = %q", got)
	}
	var got []string
	for {
		f, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if f == nil {
			break
		}
		got = append(got, string(r.Record()))
	}
	if diff := cmp.Diff([]string{"1,\"x\r\ny\"", "2,\"q\"", "3,", "4,z"}, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
