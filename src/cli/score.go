package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"bitsscore/src/command"
	"bitsscore/src/detect"
	"bitsscore/src/internal/textfmt"
	"bitsscore/src/splcsv"
)

const scoreSynopsis = "bitsscore score [--mode spl|hardened] [--format table|csv|json] [--alerts-only] [--jobs] [FILE ...]"

// alertThreshold is hardened mode's alert: RiskScore >= 50, the threshold
// the hardened saved search uses.
const alertThreshold = 50

func score(args []string, env Env) int {
	fs := newFlagSet("score", scoreSynopsis, env)
	mode := fs.String("mode", command.ModeSPL, "detection: spl (the original SPL) or hardened")
	defaultFormat := "csv"
	if env.StdoutIsTerminal {
		defaultFormat = "table"
	}
	format := fs.String("format", defaultFormat, "output: table, csv or json (JSON lines); table on a terminal, csv otherwise")
	alertsOnly := fs.Bool("alerts-only", false, "print only the events that alert")
	knownGood := fs.String("known-good", "", "hardened mode: a known-good list (CSV, as lookups/bitsscore_known_good_local.csv) merged over the shipped one")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: %s

Scores exported events and prints every event with the detection's fields.
FILE is CSV with a header row (a Splunk export), JSON lines, or Windows event
XML one event per line (XmlWinEventLog _raw, or EVTX converted to XML); the
format is told from the first byte. With no FILE, or "-", reads stdin.

An event alerts when it passes the saved search's test: in spl mode
(IsBitsAdmin=1 OR IsPowerShell=1) AND SuspicionScore >= 1; in hardened mode
RiskScore >= %d.

Exit status: 0 no event alerts; 1 some event alerts; 2 bad usage, an
unreadable file, or bad events (each reported with file and line; the rest
of the file is still scored) and no alert.

Options:
`, scoreSynopsis, alertThreshold)
		fs.PrintDefaults()
	}
	jobs := fs.Bool("jobs", false, "group Bits-Client events into one row per BITS job (host, job id) in hardened mode; CSV, or JSON lines with --format json")
	if status, done := parseFlags(fs, args, env); done {
		return status
	}
	if *jobs {
		*mode = command.ModeHardened
	}
	if *mode != command.ModeSPL && *mode != command.ModeHardened {
		fmt.Fprintf(env.Stderr, "bitsscore score: %s is not a mode: use --mode spl or --mode hardened\n", *mode)
		return ExitUsage
	}
	if *knownGood != "" {
		if _, err := os.Stat(*knownGood); err != nil {
			fmt.Fprintf(env.Stderr, "bitsscore score: --known-good: %v\n", err)
			return ExitUsage
		}
	}
	det, err := command.NewDetector(command.Config{Mode: *mode, KnownGoodFile: *knownGood})
	if err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", strings.TrimPrefix(err.Error(), "bitsscore: "))
		return ExitUsage
	}
	var out eventWriter
	switch *format {
	case "table":
		out = &tableWriter{w: env.Stdout}
	case "csv":
		out = &csvWriter{w: env.Stdout}
	case "json":
		out = &jsonWriter{w: env.Stdout}
	default:
		fmt.Fprintf(env.Stderr, "bitsscore score: --format %s: use table, csv or json\n", *format)
		return ExitUsage
	}

	if *jobs {
		out = newJobsWriter(env.Stdout, *format, *alertsOnly)
		*alertsOnly = false // every event joins its job; the jobs are filtered
	}

	s := &scorer{det: det, in: make([]detect.Values, len(det.Inputs())), out: make([]detect.Values, len(det.Outputs())), mode: *mode}
	progress := newProgress(env)
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := ExitOK
	badEvents, alerts, scored := 0, 0, 0
	for _, name := range files {
		var r io.Reader = env.Stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", err)
				status = ExitUsage
				continue
			}
			defer f.Close()
			r = f
		}
		err := readEvents(name, r, func(ev *inputEvent) {
			result := s.score(ev)
			scored++
			if result.alert {
				alerts++
			}
			if result.alert || !*alertsOnly {
				out.write(ev, det.Outputs(), result)
			}
			progress.tick(name, scored)
		}, func(e *inputError) {
			progress.clear()
			fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", e)
			badEvents++
		})
		if err != nil {
			progress.clear()
			fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", err)
			status = ExitUsage
		}
	}
	progress.clear()
	if err := out.flush(det.Outputs()); err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", err)
		return ExitUsage
	}
	if env.StderrIsTerminal || badEvents > 0 {
		fmt.Fprintf(env.Stderr, "bitsscore score: %d events scored, %d alert, %d could not be read\n", scored, alerts, badEvents)
	}
	switch {
	case alerts > 0:
		return ExitAlert
	case badEvents > 0:
		return ExitUsage
	}
	return status
}

// A scorer runs the detector over events read from files.
type scorer struct {
	det     detect.Detector
	mode    string
	in, out []detect.Values
}

type scoreResult struct {
	outputs [][]string // per output field, its values
	alert   bool
}

func (s *scorer) score(ev *inputEvent) scoreResult {
	for i, name := range s.det.Inputs() {
		s.in[i] = s.in[i][:0]
		for _, v := range ev.fields[name] {
			if v != "" {
				s.in[i] = append(s.in[i], []byte(v))
			}
		}
	}
	for k := range s.out {
		s.out[k] = nil
	}
	s.det.Score(s.in, s.out)
	res := scoreResult{outputs: make([][]string, len(s.out))}
	value := map[string]string{}
	for k, vals := range s.out {
		for _, v := range vals {
			res.outputs[k] = append(res.outputs[k], string(v))
		}
		if len(vals) > 0 {
			value[s.det.Outputs()[k]] = string(vals[0])
		}
	}
	if s.mode == command.ModeHardened {
		risk, _ := strconv.Atoi(value["RiskScore"])
		res.alert = risk >= alertThreshold
	} else {
		spl, _ := strconv.Atoi(value["SuspicionScore"])
		res.alert = (value["IsBitsAdmin"] == "1" || value["IsPowerShell"] == "1") && spl >= 1
	}
	return res
}

// Every output names the event by where it was read and by the fields an
// analyst recognises it by, then gives the detection's fields.
var identity = []string{"_time", "host", "EventCode"}

type eventWriter interface {
	write(ev *inputEvent, outputs []string, res scoreResult)
	flush(outputs []string) error
}

// csvWriter writes CSV, multivalue fields joined by newlines as Splunk's
// own export does.
type csvWriter struct {
	w      io.Writer
	w2     *splcsv.Writer
	header bool
}

func (c *csvWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	if c.w2 == nil {
		c.w2 = splcsv.NewWriter()
	}
	if !c.header {
		c.w2.WriteString("source")
		c.w2.WriteString("line")
		for _, f := range identity {
			c.w2.WriteString(f)
		}
		for _, f := range outputs {
			c.w2.WriteString(f)
		}
		c.w2.WriteString("alert")
		c.w2.EndRecord()
		c.header = true
	}
	c.w2.WriteString(ev.source)
	c.w2.WriteString(strconv.Itoa(ev.line))
	for _, f := range identity {
		c.w2.WriteString(ev.get(f))
	}
	for _, vals := range res.outputs {
		c.w2.WriteString(strings.Join(vals, "\n"))
	}
	c.w2.WriteString(strconv.FormatBool(res.alert))
	c.w2.EndRecord()
	if c.w2.Len() > 1<<20 {
		c.w.Write(c.w2.Bytes())
		c.w2.Reset()
	}
}

func (c *csvWriter) flush([]string) error {
	if c.w2 == nil {
		return nil
	}
	_, err := c.w.Write(c.w2.Bytes())
	c.w2.Reset()
	return err
}

// jsonWriter writes one JSON object per event, keys in the CSV's order;
// multivalue fields are arrays.
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
			add(f, v)
		}
	}
	for k, f := range outputs {
		switch vals := res.outputs[k]; len(vals) {
		case 0:
		case 1:
			add(f, vals[0])
		default:
			add(f, vals)
		}
	}
	add("alert", res.alert)
	j.buf = append(b, '}', '\n')
	j.w.Write(j.buf)
}

func (j *jsonWriter) flush([]string) error { return nil }

// tableWriter prints an aligned table for a person: the alert, the score,
// where the event came from, and what ran. It holds rows until the end to
// size the columns.
type tableWriter struct {
	w    io.Writer
	rows [][]string
}

func (t *tableWriter) write(ev *inputEvent, outputs []string, res scoreResult) {
	get := func(name string) string {
		for k, f := range outputs {
			if f == name {
				return strings.Join(res.outputs[k], ",")
			}
		}
		return ""
	}
	alert := ""
	if res.alert {
		alert = "ALERT"
	}
	why := get("Indicators")
	hardened := false
	for _, f := range outputs {
		hardened = hardened || f == "RiskScore"
	}
	if !hardened {
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
	what := get("CommandLine")
	if what == "" {
		// Bits-Client and script-block events have no command line.
		for _, f := range []string{"processPath", "url", "RemoteName", "ScriptBlockText", "Payload"} {
			if v := ev.get(f); v != "" {
				what = f + "=" + v
				break
			}
		}
	}
	t.rows = append(t.rows, []string{
		alert, score, fmt.Sprintf("%s:%d", filepath.Base(ev.source), ev.line), textfmt.Time(ev.get("_time")), ev.get("host"), ev.get("EventCode"),
		textfmt.Base(get("Image")), why, oneLine(what),
	})
}

func (t *tableWriter) flush(outputs []string) error {
	score := "SCORE"
	for _, f := range outputs {
		if f == "RiskScore" {
			score = "RISK"
		}
	}
	rows := append([][]string{{"ALERT", score, "SOURCE", "TIME", "HOST", "EVENT", "IMAGE", "WHY", "COMMAND LINE / DETAIL"}}, t.rows...)
	widths := textfmt.Measure(rows)
	for _, row := range rows {
		if _, err := fmt.Fprintln(t.w, widths.Format(row)); err != nil {
			return err
		}
	}
	return nil
}

func oneLine(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
	if utf8.RuneCountInString(s) > 160 {
		s = string([]rune(s)[:157]) + "..."
	}
	return s
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
