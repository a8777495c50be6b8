package winevent

import (
	"bytes"
	"strings"
)

// ToCSV writes events as the body of a Splunk search-results CSV, the form a
// chunked search command receives: a header row of fields, then one row per
// event, each line ending in "\n".
//
// A multivalue field's cell holds its values joined by "\n", and a companion
// column __mv_<field>, right after the field's own column, holds them as
// $v1$;$v2$ with every '$' inside a value doubled. The companion column is
// written only for fields that are multivalue in at least one event; its
// cell is empty for events where the field has fewer than two values, which
// is how Splunk marks a single value. An absent field is an empty cell (null).
//
// A cell is quoted when it holds '"', ',', '\r' or '\n', or starts or ends
// with a space or tab (which a reader might otherwise trim); quotes inside
// are doubled.
func ToCSV(events []Event, fields []string) []byte {
	multivalue := make([]bool, len(fields))
	for i, field := range fields {
		for _, e := range events {
			if len(e.Fields[field]) > 1 {
				multivalue[i] = true
				break
			}
		}
	}

	var out bytes.Buffer
	var cells []string
	writeRow := func() {
		for i, cell := range cells {
			if i > 0 {
				out.WriteByte(',')
			}
			writeCell(&out, cell)
		}
		out.WriteByte('\n')
		cells = cells[:0]
	}

	for i, field := range fields {
		cells = append(cells, field)
		if multivalue[i] {
			cells = append(cells, "__mv_"+field)
		}
	}
	writeRow()
	for _, e := range events {
		for i, field := range fields {
			values := e.Fields[field]
			cells = append(cells, strings.Join(values, "\n"))
			if multivalue[i] {
				cells = append(cells, mvEncode(values))
			}
		}
		writeRow()
	}
	return out.Bytes()
}

// mvEncode is Splunk's __mv_ cell encoding: $v1$;$v2$ with '$' doubled, or
// "" for a field with fewer than two values.
func mvEncode(values []string) string {
	if len(values) < 2 {
		return ""
	}
	var sb strings.Builder
	for i, v := range values {
		if i > 0 {
			sb.WriteByte(';')
		}
		sb.WriteByte('$')
		sb.WriteString(strings.ReplaceAll(v, "$", "$$"))
		sb.WriteByte('$')
	}
	return sb.String()
}

func writeCell(out *bytes.Buffer, cell string) {
	if !needsQuotes(cell) {
		out.WriteString(cell)
		return
	}
	out.WriteByte('"')
	out.WriteString(strings.ReplaceAll(cell, `"`, `""`))
	out.WriteByte('"')
}

func needsQuotes(cell string) bool {
	if cell == "" {
		return false
	}
	if strings.ContainsAny(cell, "\",\r\n") {
		return true
	}
	first, last := cell[0], cell[len(cell)-1]
	return first == ' ' || first == '\t' || last == ' ' || last == '\t'
}
