package textfmt

import "testing"

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
