// Package textfmt formats text for a person: Splunk times, Windows paths
// and aligned tables for a terminal (the command line and the demo), and
// Clip, which bounds every piece of untrusted text an error message quotes
// and every message the command sends to the search UI.
package textfmt

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Time formats Splunk's _time (epoch seconds, perhaps with a fraction) as
// UTC to the second. Text that is not a number comes back as it is.
func Time(epoch string) string {
	f, err := strconv.ParseFloat(epoch, 64)
	if err != nil {
		return epoch
	}
	return time.Unix(int64(f), 0).UTC().Format("2006-01-02 15:04:05Z")
}

// Base returns the last element of a Windows or Unix path.
func Base(path string) string {
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Columns are the widths, in runes, of a table's columns.
type Columns []int

// Measure returns the widths that fit every row. The last column is never
// padded, so its width does not count: a long last cell (a command line)
// widens nothing.
func Measure(rows [][]string) Columns {
	var widths Columns
	for _, row := range rows {
		for c, v := range row {
			if c == len(row)-1 {
				break
			}
			for len(widths) <= c {
				widths = append(widths, 0)
			}
			widths[c] = max(widths[c], utf8.RuneCountInString(v))
		}
	}
	return widths
}

// Format lays a row out in the columns, two spaces apart.
func (widths Columns) Format(row []string) string {
	var b strings.Builder
	for c, v := range row {
		b.WriteString(v)
		if c < len(row)-1 {
			b.WriteString(strings.Repeat(" ", widths[c]-utf8.RuneCountInString(v)+2))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// Ellipsis marks text that Clip shortened.
const Ellipsis = "…"

// Clip returns s if it is at most max bytes long, else its longest prefix
// that leaves room for Ellipsis without cutting a rune in two, followed by
// Ellipsis: never more than max bytes (nothing at all when max cannot hold
// the Ellipsis). Invalid UTF-8 is kept as it is: a caller quoting with %q
// escapes it.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max - len(Ellipsis)
	if n < 0 {
		return ""
	}
	// The cut falls at byte n; if a valid rune starts before n and ends
	// after it, cut before that rune instead.
	start := n
	for start > 0 && start > n-utf8.UTFMax && !utf8.RuneStart(s[start]) {
		start--
	}
	if start < n {
		if r, size := utf8.DecodeRuneInString(s[start:]); (r != utf8.RuneError || size > 1) && start+size > n {
			n = start
		}
	}
	return s[:n] + Ellipsis
}

// ClipBytes is Clip for bytes; it copies at most max+1 of them, however
// long b is.
func ClipBytes(b []byte, max int) string {
	return Clip(string(b[:min(len(b), max+1)]), max)
}
