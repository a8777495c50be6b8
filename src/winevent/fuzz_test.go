package winevent

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// FuzzParse feeds arbitrary lines to Parse. Seeds live in
// testdata/fuzz/FuzzParse: real fixture lines, both quoting styles, JSON
// shapes and near-miss malformed input. Parse must never panic; an event it
// accepts must satisfy the Event invariants and survive ToCSV.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := Parse(line)
		if err != nil {
			if !bytes.HasPrefix([]byte(err.Error()), []byte("winevent: ")) {
				t.Fatalf("error %q does not say it comes from winevent", err)
			}
			return
		}
		checkInvariants(t, e)
		if e.Get("sourcetype") != "XmlWinEventLog" {
			t.Fatalf("sourcetype = %q", e.Get("sourcetype"))
		}
		records, err := csv.NewReader(bytes.NewReader(ToCSV([]Event{e}, e.Names))).ReadAll()
		if err != nil {
			t.Fatalf("ToCSV output does not read back: %v", err)
		}
		if len(records) != 2 {
			t.Fatalf("ToCSV gave %d records for one event", len(records))
		}
	})
}
