package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"bitsscore/src/detect"
	"bitsscore/src/detect/modes"
)

const scoreSynopsis = "bitsscore score [--mode spl|hardened] [--format table|csv|json] [--alerts-only] [--jobs] [--summary] [--quiet] [FILE ...]"

// maxErrorsShown is how many bad events of one file are printed; the rest
// are counted in the file's summary line.
const maxErrorsShown = 20

func score(args []string, env Env) int {
	fs := newFlagSet("score", scoreSynopsis, env)
	mode := fs.String("mode", modes.SPL, "detection: spl (the original SPL) or hardened")
	defaultFormat := "csv"
	if env.StdoutIsTerminal {
		defaultFormat = "table"
	}
	format := fs.String("format", defaultFormat, "output: table, csv or json (JSON lines); table on a terminal, csv otherwise")
	alertsOnly := fs.Bool("alerts-only", false, "print only the events that alert")
	summary := fs.Bool("summary", false, "print counts per host and per indicator instead of the events")
	quiet := fs.Bool("quiet", false, "no summary line per file on stderr (errors are still printed)")
	knownGood := fs.String("known-good", "", "hardened mode: a known-good list (CSV, as lookups/bitsscore_known_good_local.csv) merged over the shipped one")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: %s

Scores exported events and prints every event with the detection's fields.
Options may come before or after the files. With no FILE, or "-", reads stdin.

Input is told apart by its content, not its name (see the README for an
example of each): CSV with a header row (a Splunk export; a _raw column of
event XML is read as raw=t reads it), JSON lines, a JSON array or
pretty-printed JSON (flat, nested as Event.System/Event.EventData, or Splunk
REST exports), Winlogbeat/Elastic (ECS; Elasticsearch or OpenSearch _search
responses, hits with _source or only fields, async search and Kibana Inspect
responses), EvtxECmd and Velociraptor exports,
or Windows event XML (one event per line, or many per file,
with or without <Events> and an XML declaration); UTF-8 or UTF-16 with a
byte-order mark; gzip-compressed or not. One event may be up to %d MiB.

An event alerts when it passes the saved search's test: in spl mode
%s; in hardened mode
%s.

Exit status: 0 no event alerts; 1 some event alerts; 2 bad usage, an
unreadable file (even if other events alert), or, when nothing alerts, bad
events or an input in which no event has a field the detection reads.

Options:
`, scoreSynopsis, maxEvent>>20, strings.TrimPrefix(modes.AlertCondition(modes.SPL), "where "), strings.TrimPrefix(modes.AlertCondition(modes.Hardened), "where "))
		fs.PrintDefaults()
	}
	jobs := fs.Bool("jobs", false, "group Bits-Client events into one row per BITS job (host, job id) in hardened mode; CSV, or JSON lines with --format json")
	files, status, done := parseInterleaved(fs, args, env)
	if done {
		return status
	}
	if *jobs {
		*mode = modes.Hardened
	}
	if !modes.Valid(*mode) {
		fmt.Fprintf(env.Stderr, "bitsscore score: %s is not a mode: use --mode spl or --mode hardened\n", *mode)
		return ExitUsage
	}
	if *knownGood != "" {
		if _, err := os.Stat(*knownGood); err != nil {
			fmt.Fprintf(env.Stderr, "bitsscore score: --known-good: %v\n", err)
			return ExitUsage
		}
	}
	det, err := modes.New(*mode, modes.Options{KnownGoodFile: *knownGood})
	if err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", strings.TrimPrefix(err.Error(), "bitsscore: "))
		return ExitUsage
	}
	var out eventWriter
	switch *format {
	case "table":
		out = newTableWriter(env.Stdout, env.Columns)
	case "csv":
		out = &csvWriter{w: env.Stdout}
	case "json":
		out = &jsonWriter{w: env.Stdout}
	default:
		fmt.Fprintf(env.Stderr, "bitsscore score: --format %s: use table, csv or json\n", *format)
		return ExitUsage
	}
	if *summary {
		out = newSummaryWriter(env.Stdout)
	}

	if *jobs {
		out = newJobsWriter(env.Stdout, *format, *alertsOnly)
		*alertsOnly = false // every event joins its job; the jobs are filtered
	}

	s := newEventScorer(det, *mode)
	run := &scoreRun{env: env, s: s, out: out, alertsOnly: *alertsOnly, quiet: *quiet, progress: newProgress(env)}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, name := range files {
		run.file(name)
	}
	run.progress.clear()
	if err := out.flush(det.Outputs()); err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", err)
		return ExitUsage
	}
	switch {
	case run.unreadable:
		return ExitUsage
	case run.alerts > 0:
		return ExitAlert
	case run.badEvents || run.noFields:
		return ExitUsage
	}
	return ExitOK
}

// A scoreRun scores files one after the other and keeps what decides the
// exit status.
type scoreRun struct {
	env        Env
	s          *eventScorer
	out        eventWriter
	alertsOnly bool
	quiet      bool
	progress   *progress

	alerts     int
	unreadable bool // a file could not be opened or read
	badEvents  bool // some event could not be read
	noFields   bool // a file in which no event has a field the detection reads
}

// file scores one file, closing it as soon as it is read, and prints its
// summary line.
func (run *scoreRun) file(name string) {
	env := run.env
	var r io.Reader = env.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", err)
			run.unreadable = true
			return
		}
		defer f.Close() // one file per call: closed before the next opens
		r = f
	}
	events, alerts, bad, withFields := 0, 0, 0, 0
	var firstNames []string // the first event's, to name a shape with no field the detection reads
	err := readEvents(name, r, run.s.wanted, func(ev *inputEvent) {
		result := run.s.score(ev)
		events++
		if events == 1 {
			firstNames = ev.fieldNames()
		}
		if result.readsFields {
			withFields++
		}
		if result.alert {
			alerts++
		}
		if result.alert || !run.alertsOnly {
			run.out.write(ev, run.s.det.Outputs(), result)
		}
		run.progress.tick(name, events)
	}, func(e *inputError) {
		bad++
		if bad <= maxErrorsShown {
			run.progress.clear()
			fmt.Fprintf(env.Stderr, "bitsscore score: %v\n", e)
		}
	})
	run.progress.clear()
	run.alerts += alerts
	run.badEvents = run.badEvents || bad > 0
	if err != nil {
		fmt.Fprintf(env.Stderr, "bitsscore score: %s: %v\n", name, err)
		run.unreadable = true
	}
	if bad > maxErrorsShown {
		fmt.Fprintf(env.Stderr, "bitsscore score: %s: %d more events could not be read (not shown)\n", name, bad-maxErrorsShown)
	}
	if err == nil && withFields == 0 {
		run.noFields = true
		fmt.Fprintf(env.Stderr, "bitsscore score: %s: no event has any field the detection reads (%s): nothing was scored\n",
			name, strings.Join(run.s.det.Inputs(), ", "))
		if hint := shapeHint(firstNames); hint != "" {
			fmt.Fprintf(env.Stderr, "bitsscore score: %s: %s\n", name, hint)
		}
	}
	if !run.quiet {
		fmt.Fprintf(env.Stderr, "bitsscore score: %s: %s scored, %s, %d could not be read\n", name, counted(events, "event"), counted(alerts, "alert"), bad)
	}
}

// counted writes n and a noun, in the plural unless n is 1: "1 alert",
// "0 alerts".
func counted(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// An eventScorer runs the detector over events read from files.
type eventScorer struct {
	det     detect.Detector
	mode    string
	in, out []detect.Values
	own     []detect.Values // inputs copied from a map, which s.in then holds
	// inputPlace[i] is where input i is in placesOf's values (-1: not
	// read), worked out once per file of XML.
	inputPlace []int
	placesOf   *extractedFields
	scratch    []byte
	ends       []int
	// The lists of output values are cut from a slab: a writer may keep
	// them. The list of those lists is the scorer's, reused.
	values  slab[string]
	results [][]string
	// last are the strings of the last event's outputs; repeats marks
	// those the current event repeats.
	last    [][]string
	repeats []bool
	// wanted are the fields score reads: the detection's inputs and what
	// the outputs show.
	wanted      []string
	outputs     []string // det.Outputs()
	outputIndex nameIndex
}

func newEventScorer(det detect.Detector, mode string) *eventScorer {
	outputs := det.Outputs()
	wanted := slices.Clone(det.Inputs())
	for _, name := range shownFields {
		if !slices.Contains(wanted, name) {
			wanted = append(wanted, name)
		}
	}
	return &eventScorer{
		det: det, mode: mode, wanted: wanted,
		in: make([]detect.Values, len(det.Inputs())), own: make([]detect.Values, len(det.Inputs())),
		out:  make([]detect.Values, len(outputs)),
		last: make([][]string, len(outputs)), repeats: make([]bool, len(outputs)), results: make([][]string, len(outputs)),
		outputs: outputs, outputIndex: newNameIndex(outputs),
	}
}

// inputsFromExtracted hands an XML event's extracted bytes to the
// detector as they are. It reports whether any input has a value.
func (s *eventScorer) inputsFromExtracted(x *extractedFields) bool {
	if x != s.placesOf {
		// Once per file: where each input is among the names read.
		s.inputPlace = s.inputPlace[:0]
		for _, name := range s.det.Inputs() {
			s.inputPlace = append(s.inputPlace, x.index.find(name))
		}
		s.placesOf = x
	}
	found := false
	for i, at := range s.inputPlace {
		var vals detect.Values
		if at >= 0 {
			vals = x.values[at]
		}
		if slices.ContainsFunc(vals, isEmpty) {
			// ExtractXML gives no empty value; were it to, the detector
			// would still see only the others, as from a map.
			vals = slices.DeleteFunc(slices.Clone(vals), isEmpty)
		}
		s.in[i] = vals
		found = found || len(vals) > 0
	}
	return found
}

func isEmpty(v []byte) bool { return len(v) == 0 }

// sameValues reports whether an output's values are the strings made for
// an earlier event.
func sameValues(vals detect.Values, strs []string) bool {
	if len(vals) != len(strs) {
		return false
	}
	for i, v := range vals {
		if string(v) != strs[i] {
			return false
		}
	}
	return true
}

// inputsFromFields copies an event's input values from its map into one
// buffer (sliced after it stops growing), leaving out empty values. It
// reports whether any input has a value.
func (s *eventScorer) inputsFromFields(fields map[string][]string) bool {
	found := false
	s.scratch = s.scratch[:0]
	s.ends = s.ends[:0]
	for _, name := range s.det.Inputs() {
		for _, v := range fields[name] {
			if v != "" {
				s.scratch = append(s.scratch, v...)
				s.ends = append(s.ends, len(s.scratch))
				found = true
			}
		}
		s.ends = append(s.ends, -1) // the end of this input's values
	}
	start, k := 0, 0
	for i := range s.det.Inputs() {
		// Into the scorer's own lists: s.in[i] may hold an extracted
		// event's, which are not the scorer's to append to.
		s.own[i] = s.own[i][:0]
		for ; s.ends[k] >= 0; k++ {
			s.own[i] = append(s.own[i], s.scratch[start:s.ends[k]])
			start = s.ends[k]
		}
		s.in[i] = s.own[i]
		k++
	}
	return found
}

type scoreResult struct {
	// outputs are each output field's values: the outer list is valid
	// until the next event is scored, the lists in it for good (read
	// only: shared with the events that repeat them).
	outputs     [][]string
	alert       bool
	readsFields bool // the event has a value in some field the detection reads
}

func (s *eventScorer) score(ev *inputEvent) scoreResult {
	var res scoreResult
	if x := ev.extracted; x != nil {
		res.readsFields = s.inputsFromExtracted(x)
	} else {
		res.readsFields = s.inputsFromFields(ev.fields)
	}
	for k := range s.out {
		s.out[k] = nil
	}
	s.det.Score(s.in, s.out)
	// Most outputs (the flags, the score, often Image) repeat from one
	// event to the next: those reuse the last event's strings (no writer
	// changes them). The others become strings together: one string and
	// one array for all of them rather than one allocation per value.
	res.outputs = s.results
	s.scratch = s.scratch[:0]
	n := 0
	for k, vals := range s.out {
		if s.repeats[k] = sameValues(vals, s.last[k]); s.repeats[k] {
			res.outputs[k] = s.last[k]
			continue
		}
		for _, v := range vals {
			s.scratch = append(s.scratch, v...)
			n++
		}
	}
	text, values := string(s.scratch), s.values.take(n)
	start := 0
	n = 0
	for k, vals := range s.out {
		if s.repeats[k] {
			continue
		}
		first := n
		for _, v := range vals {
			values[n] = text[start : start+len(v)]
			start += len(v)
			n++
		}
		res.outputs[k] = values[first:n:n]
		s.last[k] = res.outputs[k]
	}
	first := func(k int) string {
		if k >= 0 && len(res.outputs[k]) > 0 {
			return res.outputs[k][0]
		}
		return ""
	}
	res.alert = modes.Alerts(s.mode, func(name string) string { return first(s.outputIndex.find(name)) })
	return res
}
