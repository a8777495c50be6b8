package winevent

import "bitsscore/src/splcsv"

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

	w := splcsv.NewWriter()
	for i, field := range fields {
		w.WriteString(field)
		if multivalue[i] {
			w.WriteString(splcsv.MultivaluePrefix + field)
		}
	}
	w.EndRecord()
	var values, cell []byte
	for _, e := range events {
		for i, field := range fields {
			vals := make([][]byte, len(e.Fields[field]))
			for n, v := range e.Fields[field] {
				vals[n] = []byte(v)
			}
			values = splcsv.AppendJoined(values[:0], vals)
			w.WriteField(values)
			if multivalue[i] {
				cell = cell[:0]
				if len(vals) > 1 {
					cell = splcsv.AppendMultivalue(cell, vals)
				}
				w.WriteField(cell)
			}
		}
		w.EndRecord()
	}
	return w.Bytes()
}
