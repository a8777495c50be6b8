package winevent

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// minimalXML wraps System and EventData contents into one event.
func minimalXML(system, eventData string) string {
	return `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>` + system +
		`</System><EventData>` + eventData + `</EventData></Event>`
}

func TestXMLFirstValueWinsAndSystemBeatsEventData(t *testing.T) {
	// EventData before System on purpose: Splunk's System transforms run
	// first whatever the order in _raw.
	line := `<Event><EventData><Data Name="Channel">from data</Data><Data Name="X">one</Data><Data Name="X">two</Data></EventData>` +
		`<System><EventID>1</EventID><Channel>Security</Channel><Computer>h</Computer></System></Event>`
	e, err := ParseXML([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, e, map[string]string{"Channel": "Security", "X": "one", "source": "XmlWinEventLog:Security"})
}

func TestXMLMetadataOverridesExtractedFields(t *testing.T) {
	e, err := ParseXML([]byte(minimalXML(
		`<EventID>7</EventID><Channel>C</Channel><Computer>real-host</Computer><TimeCreated SystemTime="1970-01-01T00:00:01.5Z"/>`,
		`<Data Name="host">spoofed</Data><Data Name="EventCode">99</Data>`)))
	if err != nil {
		t.Fatal(err)
	}
	// host is index-time metadata; EventCode is an alias, so the event's
	// own EventCode field stays.
	checkFields(t, e, map[string]string{"host": "real-host", "EventCode": "99", "EventID": "7", "_time": "1.500000"})
	if diff := cmp.Diff([]string{"_time", "host", "source", "sourcetype"}, e.Names[:4]); diff != "" {
		t.Errorf("metadata must come first (-want +got):\n%s", diff)
	}
}

func TestXMLCleanKeys(t *testing.T) {
	e, err := ParseXML([]byte(minimalXML(`<EventID>1</EventID>`,
		`<Data Name="Process Name">a</Data><Data Name="_1st-try">b</Data><Data Name="__">c</Data><Data Name="">d</Data>`)))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, e, map[string]string{"Process_Name": "a", "st_try": "b", "Data": "d"})
	if _, ok := e.Fields["__"]; ok {
		t.Error(`a name that cleans to nothing must be skipped`)
	}
}

func TestXMLUserDataAndRenderingInfo(t *testing.T) {
	line := `<Event><System><EventID>1102</EventID><Channel>Security</Channel></System>` +
		`<UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserSid>S-1-5-21-1</SubjectUserSid><SubjectUserName>wardog</SubjectUserName><SubjectLogonId></SubjectLogonId></LogFileCleared></UserData>` +
		`<RenderingInfo Culture="en-US"><Message>The audit log was cleared.</Message><Level>Information</Level></RenderingInfo></Event>`
	e, err := ParseXML([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, e, map[string]string{"SubjectUserSid": "S-1-5-21-1", "SubjectUserName": "wardog", "Message": "The audit log was cleared."})
	for _, absent := range []string{"SubjectLogonId", "LogFileCleared", "Level", "Culture"} {
		if _, ok := e.Fields[absent]; ok {
			t.Errorf("%s = %q, want absent", absent, e.Fields[absent])
		}
	}
}

func TestXMLProlog(t *testing.T) {
	e, err := Parse([]byte("\ufeff <?xml version=\"1.0\"?><!-- exported --><Event><System><EventID>4</EventID></System></Event>\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, e, map[string]string{"EventCode": "4", "sourcetype": "XmlWinEventLog"})
	if _, ok := e.Fields["source"]; ok {
		t.Error("no Channel, so no source")
	}
}

func TestJSONValues(t *testing.T) {
	line := `{"EventID":4688,"Hostname":"WS5","Channel":"Security","TimeCreated":"2020-10-23T02:36:43.542Z",` +
		`"Big":18446744073709551615,"Exp":1e3,"Frac":-0.25,"Flag":true,"Nothing":null,"Empty":"",` +
		`"Obj":{"a":"x","b":{"c":2}},"Arr":["p","","q"],"Objs":[{"k":1},{"k":2}],"Dup":"first","Dup":"second"}`
	e, err := ParseJSON([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		Names: []string{"_time", "host", "source", "sourcetype", "EventID", "Hostname", "Channel", "TimeCreated",
			"Big", "Exp", "Frac", "Flag", "Obj.a", "Obj.b.c", "Arr{}", "Objs{}.k", "Dup", "EventCode", "Computer"},
		Fields: map[string][]string{
			"_time": {"1603420603.542000"}, "host": {"WS5"}, "source": {"XmlWinEventLog:Security"}, "sourcetype": {"XmlWinEventLog"},
			"EventID": {"4688"}, "Hostname": {"WS5"}, "Channel": {"Security"}, "TimeCreated": {"2020-10-23T02:36:43.542Z"},
			"Big": {"18446744073709551615"}, "Exp": {"1000"}, "Frac": {"-0.25"}, "Flag": {"true"},
			"Obj.a": {"x"}, "Obj.b.c": {"2"}, "Arr{}": {"p", "q"}, "Objs{}.k": {"1", "2"}, "Dup": {"first", "second"},
			"EventCode": {"4688"}, "Computer": {"WS5"},
		},
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("ParseJSON (-want +got):\n%s", diff)
	}
}

func TestJSONTimestampFallback(t *testing.T) {
	e, err := Parse([]byte(`{"@timestamp":"2020-10-23T02:36:40.671Z","EventID":1}`))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, e, map[string]string{"_time": "1603420600.671000", "EventCode": "1"})
}

func TestEpochSecondsTruncatesToMicroseconds(t *testing.T) {
	for iso, want := range map[string]string{
		"2021-10-22T06:38:15.548776999Z": "1634884695.548776",
		"2021-10-22T08:38:15+02:00":      "1634884695.000000",
		"1969-12-31T23:59:59.5Z":         "-0.500000",
	} {
		got, err := epochSeconds(iso)
		if err != nil || got != want {
			t.Errorf("epochSeconds(%q) = %q, %v; want %q", iso, got, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"", "empty event"},
		{" \r\n", "empty event"},
		{"Event ID 4688", `starts with "E"`},
		{"<Event><UserData>" + strings.Repeat("<a>", 100000) + "x" + strings.Repeat("</a>", 100000) + "</UserData></Event><", "elements nested more than 256 deep"},
		{"<Event>", "input ends inside <Event>"},
		{"<Event><System><EventID>1</EventID>", "input ends inside <System>"},
		{"<Events><Event/></Events>", "root element is <Events>, want <Event>"},
		{"<Event><System></Event>", "element <System> closed by </Event>"},
		{"<Event><EventData><Data Name='a'>&nbsp;</Data></EventData></Event>", "entity"},
		{"<Event></Event><Event></Event>", "second root element <Event>"},
		{"<Event></Event> trailing", `text " trailing" after </Event>`},
		{"<!DOCTYPE x><Event></Event>", "directive"},
		{"<Event><System><TimeCreated SystemTime='yesterday'/></System></Event>", `SystemTime: time "yesterday" is not ISO 8601`},
		{`<Event><System><Provider Name="a></System></Event>`, "input ends inside a tag"},
		{"{", "input ends inside the event"},
		{`{"a":}`, "invalid character"},
		{`{"a":1} {"b":2}`, "data after the event"},
		{`{"TimeCreated":"10/23/2020"}`, `TimeCreated: time "10/23/2020" is not ISO 8601`},
		{`{"a":[1,{"b":]}`, "invalid character"},
		{`{"a":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`, "nested deeper than 32 levels"},
	} {
		_, err := Parse([]byte(tc.input))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "winevent: ") {
			t.Errorf("Parse(%q) error = %v, want one containing %q", clip(tc.input), err, tc.want)
		}
	}
	if _, err := ParseJSON([]byte(`[1]`)); err == nil || !strings.Contains(err.Error(), "event is an array, want an object") {
		t.Errorf("ParseJSON([1]) error = %v", err)
	}
}

func BenchmarkParseXML(b *testing.B) {
	line := fixtureLines(b, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log")[0]
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseXML(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSON(b *testing.B) {
	line := fixtureLines(b, "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl")[117]
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseJSON(line); err != nil {
			b.Fatal(err)
		}
	}
}

// An event nested 2.5 million elements deep (what killed encoding/xml with
// a stack overflow) is one error, found after the first few hundred bytes.
func TestXMLDeepNestingIsAnError(t *testing.T) {
	for _, section := range []string{"UserData", "EventData", "System", "Other"} {
		line := "<Event><" + section + ">" + strings.Repeat("<a>", 2_500_000) + strings.Repeat("</a>", 2_500_000) + "</" + section + "></Event>"
		_, err := ParseXML([]byte(line))
		if err == nil || !strings.Contains(err.Error(), "elements nested more than 256 deep") {
			t.Errorf("%s: error = %v", section, err)
		}
	}
	// 256 levels, the limit, are read.
	line := "<Event><UserData>" + strings.Repeat("<a>", 253) + "<Leaf>v</Leaf>" + strings.Repeat("</a>", 253) + "</UserData></Event>"
	e, err := ParseXML([]byte(line))
	if err != nil || e.Get("Leaf") != "v" {
		t.Errorf("256 levels: Leaf = %q, %v", e.Get("Leaf"), err)
	}
}
