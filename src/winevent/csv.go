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
	t := splcsv.NewTableWriter(fields, multivalue)
	for _, e := range events {
		for _, field := range fields {
			t.Values(e.Fields[field])
		}
		t.EndRecord()
	}
	return t.Bytes()
}
