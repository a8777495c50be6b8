package winevent

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// exportEvent maps the flat fields of an event written by a tool that
// renames the event's fields (Elastic's ECS, EvtxECmd) back to the names
// the XML mapping gives. ok is false for any other event, which is read as
// it is.
func exportEvent(flat *builder) (e Event, ok bool, err error) {
	if prefix, isECS := ecsPrefix(flat); isECS {
		e, err = ecsEvent(flat, prefix)
		return e, true, err
	}
	if isEvtxECmd(flat) {
		e, err = evtxECmdEvent(flat)
		return e, true, err
	}
	return Event{}, false, nil
}

// FromExport maps one exported row (a CSV record: column names and their
// values) as exportEvent does. ok is false when the row is of no shape it
// knows: the caller keeps the row as it is.
func FromExport(names []string, fields map[string][]string) (e Event, ok bool, err error) {
	// Most rows are of no such shape: tell them by their names before
	// copying anything.
	if !IsExportHeader(names) {
		return Event{}, false, nil
	}
	b := newBuilder()
	for _, name := range names {
		for _, v := range fields[name] {
			b.add(name, v)
		}
	}
	if e, ok, err = exportEvent(b); ok || err != nil {
		return e, ok, err
	}
	if cimAliases(b) {
		return b.finish([len(metadataNames)]string{}, nil), true, nil
	}
	return Event{}, false, nil
}

// IsExportHeader reports whether rows with columns names may be of a shape
// FromExport maps; FromExport passes any other row on as it is.
func IsExportHeader(names []string) bool { return slices.ContainsFunc(names, isExportSignature) }

// isExportSignature reports whether a column name is one that only the
// shapes exportEvent maps have.
func isExportSignature(name string) bool {
	return name == "EventId" || strings.HasPrefix(name, "winlog.") || strings.HasPrefix(name, "_source.winlog.") ||
		name == "process" || name == "process_path" || strings.HasPrefix(name, "Processes.")
}

// EvtxECmd (Eric Zimmerman's evtx parser) writes one CSV row or JSON line
// per event: the System values in columns of its own naming (EventId,
// Provider, TimeCreated, Computer, ...), the EventData or UserData element
// serialised by Json.NET into the column Payload
// ({"EventData":{"Data":[{"@Name":"CommandLine","#text":"..."}]}}), and its
// map-driven summaries (PayloadData1-6, ExecutableInfo, MapDescription),
// which are left out: Payload holds all of their values under their own
// names. Sources: EricZimmerman/evtx EvtxECmd/Program.cs (the CSV column
// order and the Payload conversion) and evtx/EventRecord.cs.
func isEvtxECmd(flat *builder) bool {
	if flat.find("EventId") < 0 || flat.find("Provider") < 0 {
		return false
	}
	payload := strings.TrimLeft(flat.value("Payload"), " \t\r\n")
	return strings.HasPrefix(payload, "{") && (strings.Contains(payload, `"EventData"`) || strings.Contains(payload, `"UserData"`))
}

func evtxECmdEvent(flat *builder) (Event, error) {
	payload, err := parseTree([]byte(flat.value("Payload")))
	if err != nil {
		return Event{}, fmt.Errorf("winevent: EvtxECmd Payload: %w", err)
	}
	data := newBuilder()
	payload.eventDataFields(data, payload.get(0, "EventData"))
	payload.userDataFields(data, payload.get(0, "UserData"))
	return finishXML(evtxECmdSystem(flat), data)
}

// evtxECmdSystem is the System values of EvtxECmd's columns.
func evtxECmdSystem(flat *builder) *builder {
	system := newBuilder()
	system.first("Name", flat.value("Provider"))
	system.first("EventID", flat.value("EventId"))
	setTime(system, flat.value("TimeCreated"))
	system.first("EventRecordID", flat.value("EventRecordId"))
	system.first("ProcessID", flat.value("ProcessId"))
	system.first("ThreadID", flat.value("ThreadId"))
	system.first("Channel", flat.value("Channel"))
	system.first("Computer", flat.value("Computer"))
	system.first("UserID", flat.value("UserId"))
	return system
}

// setTime stores an exported event's time as SystemTime when it is ISO
// 8601, or EvtxECmd's CSV form ("2006-01-02 15:04:05.0000000", UTC, its
// default --dt). A time in any other form (a tool's locale, Kibana's
// "Jan 2, 2006 @ 15:04:05.000" in the browser's time zone) cannot be
// placed exactly: it is kept as TimeCreated and the event has no _time,
// rather than a guessed one.
func setTime(system *builder, s string) {
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		system.first("SystemTime", s)
		return
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999", s); err == nil {
		system.first("SystemTime", t.UTC().Format(time.RFC3339Nano))
		return
	}
	system.first("TimeCreated", s)
}
