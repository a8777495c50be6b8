// Command bitsscore-demo runs the real bitsscore binary the way Splunk does,
// over an embedded sample of events, and prints what the detection's saved
// search shows an analyst.
//
// The sample holds the Atomic Red Team T1197 tests, the false positives the
// rule's authors name, evasions the original SPL misses, ordinary processes
// and Bits-Client events. Like splunkd, the demo sends each chunk only the
// fields the command requires plus _chunked_idx, merges the replies back
// into the events, then applies the SPL's where, sort and table.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"bitsscore/src/detect/modes"
	"bitsscore/src/internal/textfmt"
	"bitsscore/src/scp"
	"bitsscore/src/splunkd"
)

//go:embed sample.csv
var sample []byte

func main() {
	command := flag.String("command", "bin/bitsscore", "the bitsscore binary to run")
	chunkSize := flag.Int("chunk-size", 8, "events per execute chunk")
	events := flag.String("events", "", "a CSV file of events to use instead of the embedded sample")
	flag.Parse()
	if err := run(os.Stdout, *command, *events, *chunkSize); err != nil {
		fmt.Fprintln(os.Stderr, "bitsscore-demo:", err)
		os.Exit(1)
	}
}

func run(out io.Writer, command, eventsFile string, chunkSize int) error {
	data := sample
	if eventsFile != "" {
		var err error
		if data, err = os.ReadFile(eventsFile); err != nil {
			return err
		}
	}
	events, err := splunkd.DecodeTable(data)
	if err != nil {
		return fmt.Errorf("events: %v", err)
	}
	if chunkSize < 1 {
		return fmt.Errorf("chunk size must be at least 1")
	}

	hardened := &splunkd.Table{Header: slices.Clone(events.Header)}
	for _, row := range events.Rows {
		hardened.Rows = append(hardened.Rows, slices.Clone(row))
	}
	info, chunks, err := runCommand(command, events, chunkSize)
	if err != nil {
		return err
	}
	if _, _, err := runCommand(command, hardened, chunkSize, "mode=hardened"); err != nil {
		return fmt.Errorf("mode=hardened: %v", err)
	}

	fmt.Fprintf(out, "bitsscore scored %d events in %d chunks through the chunked protocol (required_fields: %s).\n\n",
		len(events.Rows), chunks, strings.Join(info.RequiredFields, ", "))
	shown, hidden := where(events)
	sortRows(events, shown)
	fmt.Fprintf(out, "What the saved search shows: %d events %s,\nsorted by SuspicionScore, then _time, descending.\n\n", len(shown), modes.AlertCondition(modes.SPL))
	printTable(out, events, shown)
	if len(hidden) > 0 {
		fmt.Fprintf(out, "\nNot shown (%d): the where clause drops them.\n", len(hidden))
		cells := [][]string{{"_time", "host", "sourcetype", "EventCode", "Image", "IsBitsAdmin", "IsPowerShell", "SuspicionScore", "sample note"}}
		for _, r := range hidden {
			cells = append(cells, []string{textfmt.Time(events.Get(r, "_time")), events.Get(r, "host"), textfmt.Clip(events.Get(r, "sourcetype"), 40),
				events.Get(r, "EventCode"), orDash(textfmt.Base(events.Get(r, "Image"))), events.Get(r, "IsBitsAdmin"), events.Get(r, "IsPowerShell"),
				events.Get(r, "SuspicionScore"), events.Get(r, "note")})
		}
		widths := textfmt.Measure(cells)
		for _, row := range cells {
			printRow(out, widths, row)
		}
	}
	printHardened(out, events, hardened)
	return nil
}

// runCommand runs one session over events, the way splunkd does, and
// merges the replies into events. It returns the getinfo reply and the
// number of execute requests.
func runCommand(command string, events *splunkd.Table, chunkSize int, args ...string) (scp.GetInfoReply, int, error) {
	s, err := splunkd.Start(command)
	if err != nil {
		return scp.GetInfoReply{}, 0, err
	}
	info, err := s.GetInfo(scp.SearchInfo{Command: "bitsscore", SID: "demo", SplunkVersion: "9.2.1", App: "bitsscore", DispatchDir: os.TempDir(), Args: args, RawArgs: args})
	if err != nil {
		return info, 0, err
	}
	replies, err := s.ExecuteEvents(events, chunkSize)
	if err != nil {
		return info, len(replies), err
	}
	exit, err := s.Wait()
	if err != nil {
		return info, len(replies), err
	}
	if exit.Code != 0 {
		return info, len(replies), fmt.Errorf("bitsscore ended with %s", exit)
	}
	return info, len(replies), nil
}

// printHardened shows what mode=hardened makes of the same events: its
// alerts with the reasons, and how it differs from the SPL's verdicts.
func printHardened(out io.Writer, spl, hardened *splunkd.Table) {
	shownBySPL, _ := where(spl)
	splAlert := map[int]bool{}
	for _, r := range shownBySPL {
		splAlert[r] = true
	}
	var alerts, lowered []int
	for r := range hardened.Rows {
		switch {
		case modes.Alerts(modes.Hardened, func(field string) string { return hardened.Get(r, field) }):
			alerts = append(alerts, r)
		case strings.Contains(hardened.Get(r, "Indicators"), "known_good:"):
			lowered = append(lowered, r)
		}
	}
	sort.SliceStable(alerts, func(i, j int) bool {
		a, _ := strconv.Atoi(hardened.Get(alerts[i], "RiskScore"))
		b, _ := strconv.Atoi(hardened.Get(alerts[j], "RiskScore"))
		return a > b
	})
	fmt.Fprintf(out, "\nThe same events with | bitsscore mode=hardened | %s: %d alerts.\n", modes.AlertCondition(modes.Hardened), len(alerts))
	fmt.Fprintf(out, "SPL? says whether the original SPL shows the event too.\n\n")
	cells := [][]string{{"RiskScore", "SPL?", "host", "EventCode", "Image", "Indicators"}}
	for _, r := range alerts {
		cells = append(cells, []string{hardened.Get(r, "RiskScore"), yesNo(splAlert[r]), hardened.Get(r, "host"), hardened.Get(r, "EventCode"),
			orDash(textfmt.Base(hardened.Get(r, "Image"))), strings.ReplaceAll(hardened.Get(r, "Indicators"), "\n", ", ")})
	}
	widths := textfmt.Measure(cells)
	printRow(out, widths, cells[0])
	for i, r := range alerts {
		printRow(out, widths, cells[i+1])
		what := hardened.Get(r, "CommandLine")
		for _, f := range []string{"BitsProcessPath", "BitsUrl", "DecodedCommand"} {
			if v := hardened.Get(r, f); v != "" && what == "" {
				what = f + "=" + strings.ReplaceAll(v, "\n", ", ")
			}
		}
		fmt.Fprintf(out, "      %s\n", orDash(oneLine(what)))
	}
	if len(lowered) > 0 {
		fmt.Fprintf(out, "\nLowered below the alert by the known-good list (the SPL shows %d of them):\n", countTrue(lowered, splAlert))
		for _, r := range lowered {
			var entry string
			for _, ind := range strings.Split(hardened.Get(r, "Indicators"), "\n") {
				if strings.HasPrefix(ind, "known_good:") {
					entry = ind
				}
			}
			fmt.Fprintf(out, "  %-3s %-8s %-24s %s\n", hardened.Get(r, "RiskScore"), hardened.Get(r, "host"), entry, hardened.Get(r, "note"))
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func countTrue(rows []int, set map[int]bool) int {
	n := 0
	for _, r := range rows {
		if set[r] {
			n++
		}
	}
	return n
}

// where applies the SPL's where clause.
func where(t *splunkd.Table) (shown, hidden []int) {
	for r := range t.Rows {
		if modes.Alerts(modes.SPL, func(field string) string { return t.Get(r, field) }) {
			shown = append(shown, r)
		} else {
			hidden = append(hidden, r)
		}
	}
	return shown, hidden
}

// sortRows applies `sort - SuspicionScore, - _time`.
func sortRows(t *splunkd.Table, rows []int) {
	num := func(r int, f string) float64 { v, _ := strconv.ParseFloat(t.Get(r, f), 64); return v }
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if sa, sb := num(a, "SuspicionScore"), num(b, "SuspicionScore"); sa != sb {
			return sa > sb
		}
		return num(a, "_time") > num(b, "_time")
	})
}

// printTable prints the SPL's table columns: the short ones as a table row,
// the long ones (paths and command lines) on the lines below it.
func printTable(out io.Writer, t *splunkd.Table, rows []int) {
	header := []string{"_time", "host", "User", "HasNotify", "HasTransfer", "HasReset", "SuspiciousDest", "SuspiciousExt", "ExternalDownload", "SuspicionScore"}
	cells := [][]string{header}
	for _, r := range rows {
		line := []string{textfmt.Time(t.Get(r, "_time"))}
		for _, f := range header[1:] {
			line = append(line, orDash(t.Get(r, f)))
		}
		cells = append(cells, line)
	}
	widths := textfmt.Measure(cells)
	printRow(out, widths, header)
	for i, r := range rows {
		printRow(out, widths, cells[i+1])
		for _, f := range []string{"Image", "CommandLine", "ParentImage", "ParentCommandLine"} {
			fmt.Fprintf(out, "      %-18s %s\n", f+":", orDash(oneLine(t.Get(r, f))))
		}
		if note := t.Get(r, "note"); note != "" {
			fmt.Fprintf(out, "      %-18s %s\n", "(sample)", note)
		}
	}
}

// printRow prints a row of a table, indented under the demo's headings.
func printRow(out io.Writer, widths textfmt.Columns, row []string) {
	fmt.Fprintln(out, "  "+widths.Format(row))
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
