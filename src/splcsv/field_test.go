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
