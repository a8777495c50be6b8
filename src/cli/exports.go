package cli

import (
	"slices"
	"strings"

	"bitsscore/src/winevent"
)

// fromExport reads a CSV row as the tool that wrote it meant it: a _raw of
// event XML as raw=t reads it (withRaw), columns of a known export
// (EvtxECmd, Elastic's ECS) under the names the XML gives
// (winevent.FromExport); any other row keeps its columns.
func fromExport(ev *inputEvent) error {
	mapped, ok, err := winevent.FromExport(ev.names, ev.fields)
	if err != nil {
		return err
	}
	if ok {
		ev.fields, ev.names = mapped.Fields, mapped.Names
		return nil
	}
	return withRaw(ev)
}

// isTypeLine reports whether a CSV's first record is the "#TYPE <type>"
// line Windows PowerShell's Export-Csv writes before the header.
func isTypeLine(record []string) bool {
	return len(record) == 1 && strings.HasPrefix(record[0], "#TYPE ")
}

// shapeHint names an input shape that holds Windows events but not their
// fields, from its first event's field names, and says what to export
// instead; "" for any other input.
func shapeHint(names []string) string {
	has := func(name string) bool { return slices.Contains(names, name) }
	switch {
	case has("Id") && has("ProviderName") && (has("LogName") || has("MachineName")):
		return "it is a PowerShell Get-WinEvent export (Export-Csv, ConvertTo-Json, Select-Object), which keeps an event's fields only in the rendered Message " +
			"(translated, with labels that a value may contain, so they cannot be read back soundly) and in unnamed Properties; " +
			"export the events' XML instead: Get-WinEvent ... | ForEach-Object { $_.ToXml() } > FILE.xml"
	case has("Date and Time") && has("Event ID") || len(names) == 1 && strings.Contains(names[0], "Date and Time\tSource\tEvent ID"):
		return "it is an Event Viewer \"Save as CSV/Text\" file, which keeps only each event's rendered message; " +
			"save the events as XML (Save Selected Events..., XML) or as .evtx and convert it: " + strings.ReplaceAll(convertHint, "\n", " ")
	case has("process.command_line") || has("process.executable"):
		return "it has ECS process fields but no winlog.* fields, so it is not a Windows event log record (an EDR's, not Winlogbeat's or the Elastic Agent's); " +
			"export the Windows events (Sysmon 1, Security 4688) instead"
	}
	return ""
}
