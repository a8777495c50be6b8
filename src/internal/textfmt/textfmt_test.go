package textfmt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTime(t *testing.T) {
	for in, want := range map[string]string{
		"1614035240.794384": "2021-02-22 23:07:20Z",
		"0":                 "1970-01-01 00:00:00Z",
		"not a time":        "not a time",
	} {
		if got := Time(in); got != want {
			t.Errorf("Time(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBase(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Windows\System32\bitsadmin.exe`: "bitsadmin.exe",
		"/usr/bin/env":                      "env",
		"plain":                             "plain",
		`C:\dir\`:                           "",
	} {
		if got := Base(in); got != want {
			t.Errorf("Base(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColumns(t *testing.T) {
	rows := [][]string{{"A", "Bé", "last column is long"}, {"ccc", "d", "x"}}
	widths := Measure(rows)
	if got, want := widths.Format(rows[0]), "A    Bé  last column is long"; got != want {
		t.Errorf("row 0 = %q, want %q", got, want)
	}
	if got, want := widths.Format(rows[1]), "ccc  d   x"; got != want {
		t.Errorf("row 1 = %q, want %q", got, want)
	}
	if got, want := widths.Format([]string{"", "", ""}), ""; got != want {
		t.Errorf("empty row = %q, want %q (trailing spaces trimmed)", got, want)
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		// "é" is 2 bytes: a cut between them backs off to before it.
		{"abcdeéfghij", 9, "abcde…"},
		{"abcdeéfghij", 10, "abcdeé…"},
		// A 4-byte rune cut after any of its first three bytes.
		{"ab𝄞cdefgh", 6, "ab…"},
		{"ab𝄞cdefgh", 7, "ab…"},
		{"ab𝄞cdefgh", 8, "ab…"},
		{"ab𝄞cdefgh", 9, "ab𝄞…"},
		// Invalid UTF-8 is cut where the bytes fall.
		{"\xff\xff\xff\xff\xff\xff", 5, "\xff\xff…"},
		{"abcdef", 2, ""},
		{"abcdef", 3, "…"},
	} {
		got := Clip(c.in, c.max)
		if got != c.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
		if len(got) > c.max {
			t.Errorf("Clip(%q, %d) is %d bytes", c.in, c.max, len(got))
		}
	}
	if got := ClipBytes([]byte("abcdefghijk"), 10); got != "abcdefg…" {
		t.Errorf("ClipBytes = %q", got)
	}
	// Every cut of valid text is valid text, within the bound.
	s := strings.Repeat("añ€𝄞", 50)
	for max := 0; max <= len(s)+1; max++ {
		got := Clip(s, max)
		if !utf8.ValidString(got) || len(got) > max {
			t.Fatalf("Clip(…, %d) = %q (%d bytes, valid %t)", max, got, len(got), utf8.ValidString(got))
		}
		if max >= len(s) && got != s {
			t.Fatalf("Clip(…, %d) shortened text that fits", max)
		}
	}
}
