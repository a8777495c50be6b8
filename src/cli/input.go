package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"bitsscore/src/detect"
	"bitsscore/src/splcsv"
	"bitsscore/src/winevent"
)

// An inputEvent is one event read from a file, with where it came from.
// Its fields are held one of two ways: as strings in fields and names
// (CSV, JSON, whole XML events), or, for event XML read for a list of
// wanted fields, as the bytes ExtractXML gave, in extracted: no string is
// made of an event's values unless a writer asks for them.
type inputEvent struct {
	source    string // file name, "-" for stdin
	line      int    // 1-based line where the event starts
	fields    map[string][]string
	names     []string // field names in first-seen order
	extracted *extractedFields
}

// extractedFields are an XML event's values of a list of wanted names:
// values[i] are those of the name index.find gives i for, slices of a
// buffer that the next event of the file reuses.
type extractedFields struct {
	names  []string // the names read
	index  nameIndex
	values []detect.Values
}

// A nameIndex finds a name's place in a short list without hashing it:
// the names of one length are few, and the writers look up a handful per
// event.
type nameIndex struct {
	byLen [][]namePlace // name length -> the names of that length
}

type namePlace struct {
	name string
	i    int
}

func newNameIndex(names []string) nameIndex {
	var t nameIndex
	for i, name := range names {
		for len(t.byLen) <= len(name) {
			t.byLen = append(t.byLen, nil)
		}
		if !slices.ContainsFunc(t.byLen[len(name)], func(p namePlace) bool { return p.name == name }) {
			t.byLen[len(name)] = append(t.byLen[len(name)], namePlace{name, i})
		}
	}
	return t
}

// find returns name's place, the first if listed twice, or -1.
func (t *nameIndex) find(name string) int {
	if len(name) < len(t.byLen) {
		for _, p := range t.byLen[len(name)] {
			if p.name == name {
				return p.i
			}
		}
	}
	return -1
}

// get returns a field's first value, or "". It is small enough to be
// inlined, so that a caller that does not keep the string (a writer
// copying it out) gets an extracted value without a heap allocation.
func (e *inputEvent) get(name string) string {
	s, b := e.first(name)
	if b != nil {
		return string(b)
	}
	return s
}

// first returns a field's first value: as a string from the map, or as
// bytes from extracted.
func (e *inputEvent) first(name string) (string, []byte) {
	if x := e.extracted; x != nil {
		if i := x.index.find(name); i >= 0 && len(x.values[i]) > 0 {
			return "", x.values[i][0]
		}
		return "", nil
	}
	if v := e.fields[name]; len(v) > 0 {
		return v[0], nil
	}
	return "", nil
}

// fieldNames returns a new list of the names of the event's fields, in
// first-seen order (extracted: in the order of the names read).
func (e *inputEvent) fieldNames() []string {
	x := e.extracted
	if x == nil {
		return slices.Clone(e.names)
	}
	var names []string
	for i, vals := range x.values {
		if len(vals) > 0 {
			names = append(names, x.names[i])
		}
	}
	return names
}

// list returns all a field's values, nil for none.
func (e *inputEvent) list(name string) []string {
	x := e.extracted
	if x == nil {
		return e.fields[name]
	}
	i := x.index.find(name)
	if i < 0 || len(x.values[i]) == 0 {
		return nil
	}
	list := make([]string, len(x.values[i]))
	for k, v := range x.values[i] {
		list[k] = string(v)
	}
	return list
}

// An inputError is a bad event: reported with its place, then skipped.
type inputError struct {
	source string
	line   int
	err    error
}

func (e *inputError) Error() string { return fmt.Sprintf("%s:%d: %v", e.source, e.line, e.err) }

// maxEvent bounds one event (an XML event, a CSV record, a JSON value):
// far above any real event, and a bound on what one hostile event costs.
// A variable so that tests can lower it for CSV and JSON.
var maxEvent = winevent.MaxEventSize

var errTooLarge = fmt.Errorf("event larger than %d MiB: skipped", winevent.MaxEventSize>>20)

// readEvents reads every event of one input, calling emit for each and
// bad for each event that cannot be read; the rest of the input is still
// read. It returns an error only when the input itself cannot be read.
//
// The encoding is told from the first bytes (decodeInput), the shape from
// the first byte that is not white space: '<' is Windows event XML in any
// layout, '{' or '[' JSON (lines, an array, pretty-printed, Splunk REST
// exports), anything else CSV with a header row.
//
// want, when not nil, names the only fields the caller reads: event XML
// then gives only those (ExtractXML, much cheaper than a whole Event), as
// bytes in ev.extracted, values[i] those of want[i]. emit may keep the
// strings an event gives (get, list, its map's values) but not the event,
// its map or its extracted bytes, which the next event of the file reuses.
func readEvents(source string, r io.Reader, want []string, emit func(*inputEvent), bad func(*inputError)) error {
	br, first, err := openInput(r)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	return readShape(source, br, first, want, emit, bad)
}

// openInput returns r's text (decodeInput) and its first byte that is not
// white space, which tells its shape; io.EOF when it has none.
func openInput(r io.Reader) (*bufio.Reader, byte, error) {
	br, err := decodeInput(r)
	if err != nil {
		return nil, 0, err
	}
	first, err := firstByte(br)
	return br, first, err
}

// readShape reads the events of text whose first byte that is not white
// space is first, as readEvents does.
func readShape(source string, br *bufio.Reader, first byte, want []string, emit func(*inputEvent), bad func(*inputError)) error {
	switch first {
	case '<':
		return readXML(source, br, want, emit, bad)
	case '{', '[':
		return readJSON(source, br, emit, bad)
	}
	return readCSV(source, br, emit, bad)
}

func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return 0, errors.New("no text in the first 64 KiB: only white space")
			}
			return 0, err
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
}

func readXML(source string, br *bufio.Reader, want []string, emit func(*inputEvent), bad func(*inputError)) error {
	x := winevent.NewXMLEventReader(br)
	// One event and its values serve every event of the file: emit uses
	// an event only until it returns.
	var reused inputEvent
	var buf []byte
	var extractor *winevent.Extractor[detect.Values]
	if want != nil {
		extractor = winevent.NewExtractor[detect.Values](want)
		reused.extracted = &extractedFields{names: want, index: newNameIndex(want), values: make([]detect.Values, len(want))}
	}
	var eventErr *winevent.EventError // out of the loop: errors.As makes it escape
	for {
		raw, line, err := x.Next()
		switch {
		case err == io.EOF:
			return nil
		case err == nil:
		case errors.As(err, &eventErr):
			bad(&inputError{source: source, line: eventErr.Line, err: eventErr.Err})
			continue
		default:
			return fmt.Errorf("%s:%d: %w", source, line, err)
		}
		if want != nil {
			buf, err = extractor.Extract(raw, reused.extracted.values, buf[:0])
			if err != nil {
				bad(&inputError{source: source, line: line, err: err})
				continue
			}
			reused.source, reused.line = source, line
			emit(&reused)
			continue
		}
		ev, err := winevent.ParseXML(raw)
		if err != nil {
			bad(&inputError{source: source, line: line, err: err})
			continue
		}
		emit(&inputEvent{source: source, line: line, fields: ev.Fields, names: ev.Names})
	}
}

// withRaw reads a row's _raw as raw=t does: when it holds Windows event
// XML, the fields extracted from it win and the row's other columns fill
// in the names the XML lacks (an export of raw events carries only _time,
// host, source, sourcetype and _raw). A row without XML in _raw keeps its
// columns.
func withRaw(ev *inputEvent) error {
	raw := ev.get("_raw")
	if !strings.HasPrefix(strings.TrimLeft(raw, " \t\r\n\ufeff"), "<") {
		return nil
	}
	parsed, err := winevent.ParseXML([]byte(raw))
	if err != nil {
		return fmt.Errorf("_raw: %w", err)
	}
	for _, name := range ev.names {
		if _, ok := parsed.Fields[name]; !ok && name != "_raw" {
			parsed.Fields[name] = ev.fields[name]
			parsed.Names = append(parsed.Names, name)
		}
	}
	ev.fields, ev.names = parsed.Fields, parsed.Names
	return nil
}

// A cappedReader fails a read that would take the bytes read since the
// last reset past a limit, so that one CSV record or JSON value cannot
// take unbounded memory; it counts lines as they pass.
type cappedReader struct {
	r       io.Reader
	limit   int
	left    int
	newline int  // newlines read so far
	over    bool // a read failed at the cap since the last reset
}

func newCappedReader(r io.Reader, limit int) *cappedReader {
	return &cappedReader{r: r, limit: limit, left: limit}
}

func (c *cappedReader) reset() { c.left, c.over = c.limit, false }

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errTooLarge
	}
	n, err := c.r.Read(p[:min(len(p), c.left)])
	c.left -= n
	c.newline += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}

// skipLine discards the rest of the current line, past the cap.
func (c *cappedReader) skipLine() error {
	var b [4096]byte
	for {
		n, err := c.r.Read(b[:])
		if i := bytes.IndexByte(b[:n], '\n'); i >= 0 {
			c.newline++
			// The bytes after the newline belong to the next records:
			// hand them back through a MultiReader.
			c.r = io.MultiReader(bytes.NewReader(slices.Clone(b[i+1:n])), c.r)
			c.reset()
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readCSV streams a CSV export with a header row (Splunk's, with optional
// __mv_ companion columns). A bad record is reported and skipped.
func readCSV(source string, br *bufio.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	capped := newCappedReader(br, maxEvent)
	lineBase := 0 // lines before the current csv.Reader's first
	newReader := func() *csv.Reader {
		r := csv.NewReader(capped)
		r.FieldsPerRecord = -1
		r.ReuseRecord = true
		return r
	}
	r := newReader()
	header, err := r.Read()
	if err == nil && isTypeLine(header) {
		header, err = r.Read()
	}
	if err != nil {
		if err == io.EOF {
			return nil
		}
		return fmt.Errorf("%s:1: header: %w", source, err)
	}
	header = slices.Clone(header)
	mvColumn := splcsv.CompanionColumns(header)
	headerLine, _ := r.FieldPos(0)
	nextLine := headerLine + 1 // after the last record read, for a record too large to show where it starts
	for {
		capped.reset()
		record, err := r.Read()
		if err == io.EOF {
			return nil
		}
		// encoding/csv may return a record cut at the failed read: the
		// flag, not only the error, says the cap was hit.
		if errors.Is(err, errTooLarge) || capped.over {
			// The record cut at the cap still knows where it started,
			// past any blank lines and the last record's own lines.
			start := nextLine
			if len(record) > 0 {
				start, _ = r.FieldPos(0)
				start += lineBase
			}
			bad(&inputError{source: source, line: start, err: errTooLarge})
			if err := capped.skipLine(); err != nil {
				return nil // the oversized record was the last
			}
			lineBase = capped.newline
			r = newReader()
			continue
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			bad(&inputError{source: source, line: parseErr.StartLine + lineBase, err: parseErr.Err})
			continue
		}
		line, _ := r.FieldPos(0)
		line += lineBase
		if err != nil {
			return fmt.Errorf("%s:%d: %w", source, line, err)
		}
		nextLine = line + 1
		ev := &inputEvent{source: source, line: line, fields: make(map[string][]string, len(record))}
		for c, cell := range record {
			if c >= len(header) || strings.HasPrefix(header[c], splcsv.MultivaluePrefix) {
				continue
			}
			name := header[c]
			var mv string
			if m := mvColumn[c]; m >= 0 && m < len(record) {
				mv = record[m]
			}
			values, err := splcsv.FieldValues(cell, mv)
			if err != nil {
				bad(&inputError{source: source, line: line, err: fmt.Errorf("field %s: %w", name, err)})
			}
			if len(values) > 0 {
				ev.fields[name] = values
				ev.names = append(ev.names, name)
			}
		}
		if err := fromExport(ev); err != nil {
			bad(&inputError{source: source, line: line, err: err})
			continue
		}
		emit(ev)
	}
}
