package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bitsscore/src/internal/textfmt"
	"bitsscore/src/splcsv"
)

// Every output names the event by where it was read and by the fields an
// analyst recognises it by, then gives the detection's fields.
var identity = []string{"_time", "host", "EventCode"}

// shownFields are the event fields the outputs read (identity; the
// table's user, parent and detail columns; --jobs' job id, title, owner
// and bytes): with the detection's inputs, all that score reads of an
// event.
var shownFields = append(slices.Clone(identity), "User", "jobOwner", "SubjectUserName", "SubjectDomainName",
	"ParentImage", "ParentProcessName", "processPath", "url", "RemoteName", "jobTitle", "ScriptBlockText", "Payload", "Data",
	"jobId", "Id", "name", "bytesTransferred")

type eventWriter interface {
	write(ev *inputEvent, outputs []string, res scoreResult)
	flush(outputs []string) error
}

// csvWriter writes CSV, multivalue fields joined by newlines as Splunk's
// own export does.
type csvWriter struct {
	w     io.Writer
	table *splcsv.TableWriter // nil until the first event: no event, no header
}

func (c *csvWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	if c.table == nil {
		header := append(append(append([]string{"source", "line"}, identity...), outputs...), "alert")
		c.table = splcsv.NewTableWriter(header, nil)
	}
	c.table.Value(ev.source)
	c.table.Value(strconv.Itoa(ev.line))
	for _, f := range identity {
		c.table.Value(ev.get(f))
	}
	for _, vals := range res.outputs {
		if len(vals) == 1 { // most outputs: Value spares Values' dispatch
			c.table.Value(vals[0])
		} else {
			c.table.Values(vals)
		}
	}
	c.table.Value(strconv.FormatBool(res.alert))
	c.table.EndRecord()
	if c.table.Len() > 1<<20 {
		c.table.WriteTo(c.w)
	}
}

func (c *csvWriter) flush([]string) error {
	if c.table == nil {
		return nil
	}
	_, err := c.table.WriteTo(c.w)
	return err
}

// multivalueOutputs are the outputs that hold a list: in JSON they are
// always arrays, even with one value or none, so a script need not test.
var multivalueOutputs = map[string]bool{"Indicators": true}

// jsonWriter writes one JSON object per event, keys in the CSV's order:
// integers (the flags, the scores, EventCode, line) as JSON numbers, a
// field with several values as an array.
type jsonWriter struct {
	w   io.Writer
	buf []byte
}

func (j *jsonWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	b := append(j.buf[:0], '{')
	add := func(key string, value any) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(key)
		v, _ := json.Marshal(value)
		b = append(append(append(b, k...), ':'), v...)
	}
	add("source", ev.source)
	add("line", ev.line)
	for _, f := range identity {
		if v := ev.get(f); v != "" {
			add(f, jsonValue(f, v))
		}
	}
	for k, f := range outputs {
		switch vals := res.outputs[k]; {
		case multivalueOutputs[f]:
			add(f, append([]string{}, vals...))
		case len(vals) == 1:
			add(f, jsonValue(f, vals[0]))
		case len(vals) > 1:
			add(f, vals)
		}
	}
	add("alert", res.alert)
	j.buf = append(b, '}', '\n')
	j.w.Write(j.buf)
}

// jsonValue is a value as JSON: a decimal integer as a number (json.Number
// keeps its digits), anything else as a string. _time keeps its text:
// 1603420603.542000 is a timestamp, its six decimals part of it.
func jsonValue(field, v string) any {
	if field != "_time" && isInteger(v) {
		return json.Number(v)
	}
	return v
}

func isInteger(v string) bool {
	digits := strings.TrimPrefix(v, "-")
	if digits == "" || len(digits) > 18 || digits[0] == '0' && len(digits) > 1 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

func (j *jsonWriter) flush([]string) error { return nil }

// tableHeader names the table's columns; SCORE becomes RISK in hardened
// mode.
var tableHeader = []string{"ALERT", "SCORE", "SOURCE", "TIME", "HOST", "EVENT", "USER", "IMAGE", "PARENT", "WHY", "COMMAND LINE / DETAIL"}

// tableSample is how many rows size the columns; later rows are printed as
// they come, cut to those widths, so memory stays bounded.
const tableSample = 200

// tableWriter prints an aligned table for a person, as wide as the
// terminal: the alert, the score, where the event came from, who ran what
// under which parent, why it scored and the command line (or, for BITS
// client events, the client and URL).
type tableWriter struct {
	w       io.Writer
	columns int
	rows    [][]string
	widths  textfmt.Columns // set once the sample is printed
	err     error
}

func newTableWriter(w io.Writer, columns int) *tableWriter {
	if columns <= 0 {
		columns = defaultColumns
	}
	return &tableWriter{w: w, columns: columns}
}

func (t *tableWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	row := tableRow(ev, outputs, res)
	if t.widths != nil {
		t.print(row)
		return
	}
	t.rows = append(t.rows, row)
	if len(t.rows) >= tableSample {
		t.printSample(outputs)
	}
}

func (t *tableWriter) flush(outputs []string) error {
	if t.widths == nil {
		t.printSample(outputs)
	}
	return t.err
}

func (t *tableWriter) printSample(outputs []string) {
	header := slices.Clone(tableHeader)
	if slices.Contains(outputs, "RiskScore") {
		header[1] = "RISK"
	}
	rows := append([][]string{header}, t.rows...)
	t.widths = fitColumns(textfmt.Measure(rows), len(header), t.columns)
	for _, row := range rows {
		t.print(row)
	}
	t.rows = nil
}

func (t *tableWriter) print(row []string) {
	if t.err != nil {
		return
	}
	cut := make([]string, len(row))
	for c, v := range row {
		var width int
		if c < len(t.widths) {
			width = t.widths[c]
		} else { // the last column: what is left of the line
			used := 0
			for _, w := range t.widths {
				used += w + 2
			}
			width = max(t.columns-used, 1)
		}
		cut[c] = clipRunes(v, width)
	}
	_, t.err = fmt.Fprintln(t.w, t.widths.Format(cut))
}

// tableMinWidths are the widths below which fitColumns does not narrow a
// column (in tableHeader's order): the alert, score, time and event ID
// stay whole; names and reasons keep enough to be recognised.
var tableMinWidths = []int{5, 4, 8, 20, 8, 5, 6, 6, 6, 8}

// tableLastMin is the least room the last column (the command line) gets.
const tableLastMin = 30

// fitColumns narrows the widest column still above its minimum, one rune
// at a time, until the table fits the line with tableLastMin runes for
// the last column; on a line too narrow for the minimums, every column is
// narrowed further, to 3 runes and 10 for the last.
func fitColumns(widths textfmt.Columns, n, line int) textfmt.Columns {
	widths = slices.Clone(widths)
	for len(widths) < n-1 {
		widths = append(widths, 0)
	}
	total := 0
	for _, w := range widths {
		total += w + 2
	}
	narrow := func(last int, least func(c int) int) {
		for total+last > line {
			widest := -1
			for c, w := range widths {
				if w > least(c) && (widest < 0 || w > widths[widest]) {
					widest = c
				}
			}
			if widest < 0 {
				return
			}
			widths[widest]--
			total--
		}
	}
	narrow(tableLastMin, func(c int) int {
		if c < len(tableMinWidths) {
			return tableMinWidths[c]
		}
		return 3
	})
	narrow(10, func(int) int { return 3 })
	return widths
}

// clipRunes cuts s to width runes, marking the cut with "~".
func clipRunes(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	if width <= 1 {
		return "~"
	}
	return string([]rune(s)[:width-1]) + "~"
}

func tableRow(ev *inputEvent, outputs []string, res scoreResult) []string {
	get := func(name string) string {
		if k := slices.Index(outputs, name); k >= 0 {
			return strings.Join(res.outputs[k], ",")
		}
		return ""
	}
	alert := ""
	if res.alert {
		alert = "ALERT"
	}
	why := get("Indicators")
	if !slices.Contains(outputs, "RiskScore") {
		var flags []string
		for _, f := range []string{"HasNotify", "HasTransfer", "HasReset", "SuspiciousDest", "SuspiciousExt", "ExternalDownload"} {
			if get(f) == "1" {
				flags = append(flags, f)
			}
		}
		why = strings.Join(flags, ",")
	}
	score := get("SuspicionScore")
	if risk := get("RiskScore"); risk != "" {
		score = risk
	}
	return []string{
		alert, score, fmt.Sprintf("%s:%d", filepath.Base(ev.source), ev.line), textfmt.Time(ev.get("_time")), ev.get("host"), ev.get("EventCode"),
		eventUser(ev), textfmt.Base(get("Image")), textfmt.Base(firstOf(ev, "ParentImage", "ParentProcessName")), why, oneLine(eventDetail(ev, get("CommandLine"))),
	}
}

// eventUser is who the event ran as: Sysmon's User, Security's
// DOMAIN\SubjectUserName, or a BITS job's owner.
func eventUser(ev *inputEvent) string {
	if user := firstOf(ev, "User", "jobOwner"); user != "" {
		return user
	}
	if name := ev.get("SubjectUserName"); name != "" {
		if domain := ev.get("SubjectDomainName"); domain != "" {
			return domain + `\` + name
		}
		return name
	}
	return ""
}

// eventDetail is what ran: the command line, else for BITS client events
// the client process and the URL, else a script block or payload.
func eventDetail(ev *inputEvent, commandLine string) string {
	if commandLine != "" {
		return commandLine
	}
	var parts []string
	if client := ev.get("processPath"); client != "" {
		parts = append(parts, "client="+textfmt.Base(client))
	}
	if url := firstOf(ev, "url", "RemoteName"); url != "" {
		parts = append(parts, "url="+url)
	}
	if title := ev.get("jobTitle"); title != "" && len(parts) > 0 {
		parts = append(parts, "job="+title)
	}
	if len(parts) > 0 {
		return strings.Join(parts, " ")
	}
	for _, f := range []string{"ScriptBlockText", "Payload", "Data"} {
		if v := ev.get(f); v != "" {
			return f + "=" + v
		}
	}
	return ""
}

func firstOf(ev *inputEvent, names ...string) string {
	for _, n := range names {
		if v := ev.get(n); v != "" {
			return v
		}
	}
	return ""
}

func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// progress shows a line on a terminal's stderr while a large input is
// scored, and nothing anywhere else.
type progress struct {
	w     io.Writer
	on    bool
	every time.Duration
	last  time.Time
	shown bool
}

func newProgress(env Env) *progress {
	every := env.ProgressEvery
	if every == 0 {
		every = 500 * time.Millisecond
	}
	return &progress{w: env.Stderr, on: env.StderrIsTerminal, every: every, last: time.Now()}
}

// tick may show how far scoring has come: every thousand events, at most
// once per interval.
func (p *progress) tick(source string, n int) {
	if !p.on || n%1000 != 0 || time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r\033[Kscoring %s: %d events", source, n)
	p.shown = true
}

func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
