package splcsv

import (
	"errors"
	"slices"
	"testing"
)

func TestFieldValues(t *testing.T) {
	for _, c := range []struct {
		cell, mv string
		want     []string
		err      bool
	}{
		{"", "", nil, false},
		{"a", "", []string{"a"}, false},
		{"a\nb$", "$a$;$b$$$", []string{"a", "b$"}, false},
		{"", "$x$", []string{"x"}, false},
		{"a\nb", "$a$;b", []string{"a"}, true},
	} {
		got, err := FieldValues(c.cell, c.mv)
		if !slices.Equal(got, c.want) || (err != nil) != c.err || (err != nil && !errors.Is(err, ErrMultivalue)) {
			t.Errorf("FieldValues(%q, %q) = %q, %v; want %q, error %v", c.cell, c.mv, got, err, c.want, c.err)
		}
	}
}

func TestCompanionColumns(t *testing.T) {
	header := []string{"Image", "__mv_CommandLine", "CommandLine", "__mv_Image", "Image", "_raw"}
	want := []int{3, -1, 1, -1, 3, -1}
	if got := CompanionColumns(header); !slices.Equal(got, want) {
		t.Errorf("CompanionColumns(%q) = %v, want %v", header, got, want)
	}
}

// A header's first column of a name is the field's, and an __mv_ column
// is found without its field's own.
func TestColumns(t *testing.T) {
	var c Columns
	c.Reset([]string{"Image", "__mv_CommandLine", "Image", "_raw", "__mv_Image"})
	for _, tt := range []struct {
		name    string
		col, mv int
	}{
		{"Image", 0, 4},
		{"CommandLine", -1, 1},
		{"_raw", 3, -1},
		{"absent", -1, -1},
	} {
		if col, mv := c.Field(tt.name); col != tt.col || mv != tt.mv {
			t.Errorf("Field(%q) = %d, %d; want %d, %d", tt.name, col, mv, tt.col, tt.mv)
		}
	}
	c.Reset([]string{"x"}) // reused: the previous header is forgotten
	if col, mv := c.Field("Image"); col != -1 || mv != -1 {
		t.Errorf("after Reset, Field(Image) = %d, %d", col, mv)
	}
	if c.Column("x") != 0 {
		t.Errorf("after Reset, Column(x) = %d", c.Column("x"))
	}
}

// DecodeField reads in place what FieldValues reads from decoded cells.
func TestDecodeField(t *testing.T) {
	body := "a,__mv_a,b,__mv_c\n" +
		"\"one \"\"q\"\"\",,,\n" +
		"\"x\ny\",\"$x$;$y$$$\",,\"$c1$;$c2$\"\n" +
		",,\"\",\n" +
		"p,$p$;q,,\n"
	r := NewReader([]byte(body))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	var c Columns
	c.Reset(r.Header())
	want := []map[string][]string{
		{"a": {`one "q"`}},
		{"a": {"x", "y$"}, "c": {"c1", "c2"}},
		{},
	}
	for n := 0; ; n++ {
		fields, err := r.Next()
		if err != nil || fields == nil {
			t.Fatalf("record %d: %v", n, err)
		}
		for _, name := range []string{"a", "b", "c"} {
			col, mv := c.Field(name)
			var scratch []byte
			vals, err := DecodeField(fields, col, mv, nil, &scratch)
			if n == len(want) {
				if name == "a" && !errors.Is(err, ErrMultivalue) {
					t.Errorf("malformed companion: err %v, want ErrMultivalue", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("record %d %s: %v", n, name, err)
			}
			got := make([]string, len(vals))
			for i, v := range vals {
				got[i] = string(v)
			}
			if !slices.Equal(got, want[n][name]) {
				t.Errorf("record %d %s = %q, want %q", n, name, got, want[n][name])
			}
		}
		if n == len(want) {
			return
		}
	}
}
