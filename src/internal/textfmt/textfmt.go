// Package textfmt formats events for a person reading a terminal: Splunk
// times, Windows paths and aligned tables. The command line and the demo
// share it.
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
