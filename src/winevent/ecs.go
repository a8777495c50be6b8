package winevent

import (
	"slices"
	"strconv"
	"strings"
)

// Elastic Common Schema: what Winlogbeat and Elastic Agent write (to a file,
// to Logstash, or stored in Elasticsearch and exported from Kibana or with
// elasticdump): the System values under winlog.*, the EventData under
// winlog.event_data.*, and, once Elasticsearch's ingest pipelines of the
// Winlogbeat modules (or the Agent's windows and system integrations) have
// run, some EventData values moved to ECS fields and their winlog.event_data
// names removed. The fields get back the names the XML gives: every
// winlog.event_data.X is X; a moved value is read from where the pipeline
// documents it moves it, for the events the detection reads, only when its
// own name is absent.
//
// Sources: beats x-pack/winlogbeat/module/{sysmon,security,powershell}/
// ingest/*.yml (the renames) and the modules' golden files of the same
// events. Winlogbeat names unnamed <Data> param1, param2, ...

// ecsMoved lists, for one provider and event, which XML field each ECS
// field holds after the ingest pipeline.
type ecsMoved struct {
	provider, eventID string
	moves             [][2]string // {XML name, ECS name}
}

var ecsMoves = []ecsMoved{
	{"Microsoft-Windows-Sysmon", "1", [][2]string{
		{"Image", "process.executable"},
		{"CommandLine", "process.command_line"},
		{"CurrentDirectory", "process.working_directory"},
		{"ParentImage", "process.parent.executable"},
		{"ParentCommandLine", "process.parent.command_line"},
		{"OriginalFileName", "process.pe.original_file_name"},
		{"ProcessGuid", "process.entity_id"},
		{"ParentProcessGuid", "process.parent.entity_id"},
		{"RuleName", "rule.name"},
	}},
	{"Microsoft-Windows-Security-Auditing", "4688", [][2]string{
		{"NewProcessName", "process.executable"},
		{"ParentProcessName", "process.parent.executable"},
		{"CommandLine", "process.command_line"},
	}},
	{"Microsoft-Windows-PowerShell", "4104", [][2]string{
		{"ScriptBlockText", "powershell.file.script_block_text"},
		{"ScriptBlockId", "powershell.file.script_block_id"},
		{"Path", "file.path"},
	}},
}

// ecsPrefix returns the prefix under which an object holds ECS Windows
// event fields ("" or "_source." for an Elasticsearch hit), and whether it
// does.
func ecsPrefix(flat *builder) (string, bool) {
	for _, prefix := range []string{"", "_source."} {
		if flat.find(prefix+"winlog.event_id") >= 0 || flat.find(prefix+"winlog.channel") >= 0 {
			return prefix, true
		}
	}
	return "", false
}

func ecsEvent(flat *builder, prefix string) (Event, error) {
	value := func(name string) string { return flat.value(prefix + name) }
	either := func(a, b string) string {
		if v := value(a); v != "" {
			return v
		}
		return value(b)
	}
	provider, eventID := either("winlog.provider_name", "event.provider"), either("winlog.event_id", "event.code")

	system := newBuilder()
	system.first("Name", provider)
	system.first("Guid", value("winlog.provider_guid"))
	system.first("EventID", eventID)
	system.first("Version", value("winlog.version"))
	setTime(system, either("winlog.time_created", "@timestamp"))
	system.first("EventRecordID", value("winlog.record_id"))
	system.first("ProcessID", value("winlog.process.pid"))
	system.first("ThreadID", value("winlog.process.thread.id"))
	system.first("Channel", value("winlog.channel"))
	system.first("Computer", either("winlog.computer_name", "host.name"))
	system.first("UserID", value("winlog.user.identifier"))

	data := newBuilder()
	var params []ecsParam
	for i, name := range flat.names {
		rest, ok := strings.CutPrefix(name, prefix+"winlog.event_data.")
		if !ok {
			rest, ok = strings.CutPrefix(name, prefix+"winlog.user_data.")
			if ok {
				rest = rest[strings.LastIndexByte(rest, '.')+1:]
			}
		}
		if !ok {
			continue
		}
		rest = strings.TrimSuffix(rest, "{}")
		if n, isParam := paramNumber(rest); isParam && strings.Contains(name, ".event_data.") {
			params = append(params, ecsParam{n, flat.values[i]})
			continue
		}
		for _, v := range flat.values[i] {
			data.first(cleanKey(rest), v)
		}
	}
	// Go writes a map's keys sorted, param10 before param2: back in order.
	slices.SortStableFunc(params, func(a, b ecsParam) int { return a.n - b.n })
	for _, p := range params {
		for _, v := range p.values {
			data.add("Data", v)
		}
	}
	for _, m := range ecsMoves {
		if m.provider != provider || m.eventID != eventID {
			continue
		}
		for _, move := range m.moves {
			data.first(move[0], value(move[1]))
		}
	}
	if provider == "Microsoft-Windows-Sysmon" && eventID == "1" {
		// The pipeline splits User at its backslash into user.domain and
		// user.name, and removes it.
		if domain, user := value("user.domain"), value("user.name"); domain != "" && user != "" {
			data.first("User", domain+`\`+user)
		}
	}
	if provider == "Microsoft-Windows-PowerShell" && eventID == "4103" {
		// The pipeline removes Payload; the rendered message, kept in
		// "message", starts with it: "%3\n\nContext:\n%1\n\nUser Data:\n%2".
		// The last "Context:" is the template's: Payload is what a script
		// controls, and cutting at an earlier one would let it hide text.
		message := value("message")
		if i := lastLine(message, "Context:"); i >= 0 {
			data.first("Payload", strings.TrimRight(message[:i], "\r\n"))
		}
	}
	if provider == "PowerShell" && len(params) == 0 {
		// Windows PowerShell's classic events (400, 403, 600, 800) have
		// three unnamed values, which the pipeline splits and removes; the
		// rendered message holds all three.
		data.add("Data", value("message"))
	}
	return finishXML(system, data)
}

type ecsParam struct {
	n      int
	values []string
}

// paramNumber reads the N of Winlogbeat's paramN.
func paramNumber(name string) (int, bool) {
	digits, ok := strings.CutPrefix(name, "param")
	if !ok || digits == "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil && n > 0
}

// lastLine returns where the last line that is exactly line starts in
// text (lines end in "\n" or "\r\n"), or -1.
func lastLine(text, line string) int {
	for end := len(text); ; {
		i := strings.LastIndex(text[:end], line)
		if i < 0 {
			return -1
		}
		rest := text[i+len(line):]
		if (i == 0 || text[i-1] == '\n') && (rest == "" || rest[0] == '\n' || strings.HasPrefix(rest, "\r\n")) {
			return i
		}
		end = i
	}
}
