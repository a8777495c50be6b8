package splcsv

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type scanned struct {
	record string
	line   int
	err    error
}

func scanAll(input string, max, buffer int) []scanned {
	s := NewScanner(bufio.NewReaderSize(strings.NewReader(input), buffer), max)
	var out []scanned
	for {
		rec, line, err := s.Next()
		if err == io.EOF {
			return out
		}
		out = append(out, scanned{string(rec), line, err})
		if err != nil && !errors.Is(err, ErrTooLarge) {
			return out
		}
	}
}

// Records end at line ends outside quotes, whatever the buffer's size; a
// record over the bound is skipped and the next is read.
func TestScanner(t *testing.T) {
	input := "a,b\r\n" +
		"1,\"x\ny\"\n" +
		"\n" +
		"2,\"" + strings.Repeat("long ", 20) + "\nstill\"\n" +
		"3,\"q\"\"\n\"\"\"\n" +
		"4,\"never closed\n"
	want := []scanned{
		{"a,b\r\n", 1, nil},
		{"1,\"x\ny\"\n", 2, nil},
		{"\n", 4, nil},
		{"", 5, ErrTooLarge},
		{"3,\"q\"\"\n\"\"\"\n", 7, nil},
		{"4,\"never closed\n", 9, nil},
	}
	for _, buffer := range []int{16, 4096} {
		got := scanAll(input, 64, buffer)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(scanned{}), cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })); diff != "" {
			t.Errorf("buffer %d (-want +got):\n%s", buffer, diff)
		}
	}
	if got := scanAll("a\n1", 64, 16); len(got) != 2 || got[1].record != "1" {
		t.Errorf("a last record without a line end: %v", got)
	}
	if got := scanAll("", 64, 16); len(got) != 0 {
		t.Errorf("an empty stream: %v", got)
	}
}
