package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/winevent"
)

// The shapes below are written, in the test, from the real attack
// recordings in testdata/real-events: the event XML files (one event per
// line, as converted from .evtx) and the OTRF JSON lines. Every shape must
// give the same scored events and alerts as those files as they are.
const realEvents = "../../testdata/real-events/"

var xmlFixtures = []string{
	"evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log",
	"evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log",
	"evtx-to-mitre-attack/bits-client_high-volume-download_powershell.xml.log",
	"evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log",
}

const jsonFixture = "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl"

func fixtureFileLines(t *testing.T, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(realEvents, name))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

// scoreInput runs score in process on input and returns its JSON events
// reduced to what must not depend on the shape, and its exit status.
func scoreInput(t *testing.T, input []byte, args ...string) ([]string, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{Stdin: bytes.NewReader(input), Stdout: &stdout, Stderr: &stderr}
	status := Main(append([]string{"score", "--mode", "hardened", "--format", "json"}, args...), env)
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("output is not JSON: %q", line)
		}
		got = append(got, fmt.Sprint(obj["_time"], " ", obj["host"], " ", obj["EventCode"], " risk=", obj["RiskScore"], " ", obj["Indicators"], " alert=", obj["alert"]))
	}
	slices.Sort(got)
	return got, status, stderr.String()
}

func joinLines(lines [][]byte, sep string) []byte {
	return bytes.Join(lines, []byte(sep))
}

func gzipped(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// utf16LE is data as PowerShell 5.1's > writes it: UTF-16LE with a BOM.
func utf16LE(data []byte, bigEndian bool) []byte {
	units := utf16.Encode([]rune(string(data)))
	out := []byte{0xff, 0xfe}
	if bigEndian {
		out = []byte{0xfe, 0xff}
	}
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// multiLine spreads an event over lines as evtx_dump.py and wevtutil's
// pretty output do: a newline after each closing tag of a child element.
func multiLine(event []byte) []byte {
	for _, tag := range []string{"</Data>", "</System>", "</EventData>", "</UserData>", "</EventID>", "</Channel>", "</Computer>", "</Provider>", "<EventData>", "<System>"} {
		event = bytes.ReplaceAll(event, []byte(tag), []byte(tag+"\n  "))
	}
	return event
}

// csvOf writes events as a Splunk CSV export of the given columns.
func csvOf(events []winevent.Event, columns []string) []byte {
	return winevent.ToCSV(events, columns)
}

func TestEveryShapeGivesTheSameAlerts(t *testing.T) {
	var xmlLines [][]byte
	for _, name := range xmlFixtures {
		xmlLines = append(xmlLines, fixtureFileLines(t, name)...)
	}
	reference := joinLines(xmlLines, "\n")
	want, status, stderr := scoreInput(t, reference)
	if status != ExitAlert || len(want) != len(xmlLines) || !strings.Contains(strings.Join(want, "\n"), "alert=true") {
		t.Fatalf("reference: status %d, %d events of %d, stderr %s", status, len(want), len(xmlLines), stderr)
	}

	var events []winevent.Event
	var names []string
	for _, line := range xmlLines {
		e, err := winevent.ParseXML(line)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
		for _, n := range e.Names {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	rawEvents := make([]winevent.Event, len(xmlLines))
	for i, line := range xmlLines {
		e := events[i]
		rawEvents[i] = winevent.Event{Fields: map[string][]string{
			"_time": e.Fields["_time"], "host": e.Fields["host"], "source": e.Fields["source"], "sourcetype": e.Fields["sourcetype"], "_raw": {string(line)},
		}}
	}
	var multi [][]byte
	for _, line := range xmlLines {
		multi = append(multi, multiLine(line))
	}
	evtxDump := []byte("<?xml version=\"1.1\" encoding=\"utf-8\" standalone=\"yes\" ?>\n<Events>\n" + string(joinLines(multi, "\n")) + "\n</Events>\n")
	var restLines, results []string
	for i, line := range xmlLines {
		result, _ := json.Marshal(map[string]any{"_raw": string(line), "_time": events[i].Get("_time"), "host": events[i].Get("host")})
		restLines = append(restLines, fmt.Sprintf(`{"preview":false,"offset":%d,"result":%s}`, i, result))
		results = append(results, string(result))
	}
	nested := make([][]byte, len(xmlLines))
	for i, line := range xmlLines {
		nested[i] = nestedJSON(t, line)
	}

	shapes := map[string][]byte{
		"XML, CRLF line ends":                                      joinLines(xmlLines, "\r\n"),
		"XML, several events per line":                             joinLines(xmlLines, ""),
		"XML, evtx_dump.py: declaration 1.1, <Events>, multi-line": evtxDump,
		"XML, <Events> with declaration 1.0, UTF-16LE BOM":         utf16LE(bytes.Replace(evtxDump, []byte(`version="1.1"`), []byte(`version="1.0"`), 1), false),
		"XML, UTF-16BE BOM":                                        utf16LE(reference, true),
		"XML, UTF-8 BOM":                                           append([]byte("\ufeff"), reference...),
		"XML, gzip":                                                gzipped(t, evtxDump),
		"CSV, Splunk Web raw export":                               csvOf(rawEvents, []string{"_time", "host", "source", "sourcetype", "_raw"}),
		"CSV, raw export with UTF-8 BOM":                           append([]byte("\ufeff"), csvOf(rawEvents, []string{"_time", "host", "source", "sourcetype", "_raw"})...),
		"CSV, only _raw":                                           csvOf(rawEvents, []string{"_raw"}),
		"CSV, field columns with __mv_":                            csvOf(events, names),
		"CSV, field columns, UTF-16LE BOM":                         utf16LE(csvOf(events, names), false),
		"CSV, gzip":                                                gzipped(t, csvOf(events, names)),
		"JSON, REST export result lines":                           []byte(strings.Join(restLines, "\n")),
		"JSON, REST results document":                              []byte(`{"preview":false,"init_offset":0,"messages":[],"fields":[{"name":"_raw"}],"results":[` + strings.Join(results, ",") + `],"highlighted":{}}`),
		"JSON, evtx_dump nested lines":                             joinLines(nested, "\n"),
		"JSON, evtx_dump nested array":                             []byte("[" + string(joinLines(nested, ",\n")) + "]"),
	}
	checkShapes(t, want, shapes)
}

func TestEveryJSONShapeGivesTheSameAlerts(t *testing.T) {
	lines := fixtureFileLines(t, jsonFixture)
	want, status, _ := scoreInput(t, joinLines(lines, "\n"))
	if status != ExitAlert || len(want) != len(lines) {
		t.Fatalf("reference: status %d, %d events", status, len(want))
	}
	var pretty [][]byte
	for _, line := range lines {
		var b bytes.Buffer
		if err := json.Indent(&b, line, "", "  "); err != nil {
			t.Fatal(err)
		}
		pretty = append(pretty, b.Bytes())
	}
	for name, input := range map[string][]byte{
		"array":           []byte("[" + string(joinLines(lines, ",")) + "]"),
		"pretty-printed":  joinLines(pretty, "\n"),
		"pretty array":    []byte("[\n" + string(joinLines(pretty, ",\n")) + "\n]\n"),
		"gzip, UTF-8 BOM": gzipped(t, append([]byte("\ufeff"), joinLines(lines, "\n")...)),
		"UTF-16LE BOM":    utf16LE(joinLines(lines, "\r\n"), false),
	} {
		t.Run(name, func(t *testing.T) {
			got, status, stderr := scoreInput(t, input)
			if status != ExitAlert {
				t.Errorf("status %d, want 1; stderr:\n%s", status, stderr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// nestedJSON converts one event to the JSON evtx_dump (omerbenamram/evtx)
// writes: elements as objects, attributes under "#attributes", text as the
// value (or "#text" beside attributes), <Data Name='X'>v</Data> as "X": v
// and unnamed Data as an array.
func nestedJSON(t *testing.T, event []byte) []byte {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(event))
	var build func(start xml.StartElement) any
	build = func(start xml.StartElement) any {
		obj := map[string]any{}
		attrs := map[string]any{}
		for _, a := range start.Attr {
			if a.Name.Local != "xmlns" && a.Name.Space != "xmlns" {
				attrs[a.Name.Local] = a.Value
			}
		}
		var text strings.Builder
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch tk := tok.(type) {
			case xml.CharData:
				text.Write(tk)
			case xml.StartElement:
				child := build(tk)
				key := tk.Name.Local
				if key == "Data" {
					for _, a := range tk.Attr {
						if a.Name.Local == "Name" {
							key = a.Value
						}
					}
					if m, ok := child.(map[string]any); ok {
						child = m["#text"]
					}
				}
				if key == "Data" {
					list, _ := obj["Data"].([]any)
					obj["Data"] = append(list, child)
				} else if child != nil {
					obj[key] = child
				}
			case xml.EndElement:
				if len(attrs) > 0 {
					obj["#attributes"] = attrs
				}
				if s := strings.TrimSpace(text.String()); s != "" || len(obj) == 0 && len(attrs) > 0 {
					if len(obj) == 0 {
						return s
					}
					obj["#text"] = s
				}
				if len(obj) == 0 {
					return nil
				}
				return obj
			}
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			t.Fatal("no root")
		}
		if start, ok := tok.(xml.StartElement); ok {
			out, err := json.Marshal(map[string]any{"Event": build(start)})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
}
