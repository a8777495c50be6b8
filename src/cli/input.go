package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"bitsscore/src/splcsv"
	"bitsscore/src/winevent"
)

// An inputEvent is one event read from a file, with where it came from.
type inputEvent struct {
	source string // file name, "-" for stdin
	line   int    // 1-based line where the event starts
	fields map[string][]string
	names  []string // field names in first-seen order
}

// get returns a field's first value, or "".
func (e *inputEvent) get(name string) string {
	if v := e.fields[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// An inputError is a bad event: reported with its place, then skipped.
type inputError struct {
	source string
	line   int
	err    error
}

func (e *inputError) Error() string { return fmt.Sprintf("%s:%d: %v", e.source, e.line, e.err) }

// maxLine bounds one event line (an XML event with a long script block is
// large, but not this large).
const maxLine = 64 << 20

// readEvents reads every event of one input, calling emit for each and
// bad for each event that cannot be read; the rest of the input is still
// read. It returns an error only when the input itself fails.
//
// The format is sniffed from the first non-blank byte: '<' is Windows event
// XML, one event per line; '{' is JSON lines; anything else is CSV with a
// header row (Splunk's export, with optional __mv_ columns).
func readEvents(source string, r io.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	br := bufio.NewReaderSize(r, 1<<20)
	first, err := firstByte(br)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	switch first {
	case '<', '{':
		return readLines(source, br, emit, bad)
	}
	return readCSV(source, br, emit, bad)
}

func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if err != nil {
			return 0, err
		}
		c := b[n-1]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB || c == 0xBF {
			continue // white space, or a UTF-8 byte order mark
		}
		return c, nil
	}
}

func readLines(source string, br *bufio.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		ev, err := winevent.Parse(text)
		if err != nil {
			bad(&inputError{source: source, line: line, err: err})
			continue
		}
		emit(&inputEvent{source: source, line: line, fields: ev.Fields, names: ev.Names})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %v", source, line+1, err)
	}
	return nil
}

// readCSV reads a CSV export. A bad record is reported and skipped; the
// reader resumes at the next line that parses.
func readCSV(source string, br *bufio.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	data, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	r := splcsv.NewReader(data)
	if _, err := r.ReadHeader(); err != nil {
		bad(&inputError{source: source, line: 1, err: fmt.Errorf("header: %v", err)})
		return nil
	}
	header := slices.Clone(r.Header())
	line := 2
	for {
		start := r.Offset()
		fields, err := r.Next()
		if err != nil {
			bad(&inputError{source: source, line: line, err: err})
			// Skip the bad line and go on with the next one.
			rest := data[start:]
			nl := bytes.IndexByte(rest, '\n')
			if nl < 0 {
				return nil
			}
			line++
			r.ResetRecords(rest[nl+1:], header)
			data = rest[nl+1:]
			continue
		}
		if fields == nil {
			return nil
		}
		ev := &inputEvent{source: source, line: line, fields: map[string][]string{}}
		var scratch []byte
		for c, f := range fields {
			name := header[c]
			if strings.HasPrefix(name, splcsv.MultivaluePrefix) {
				continue
			}
			var values []string
			if m := indexOf(header, splcsv.MultivaluePrefix+name); m >= 0 && !fields[m].IsEmpty() {
				mv, _ := fields[m].Value(nil)
				vals, _, err := splcsv.DecodeMultivalue(mv, nil, nil)
				if err != nil {
					bad(&inputError{source: source, line: line, err: fmt.Errorf("field %s: %v", name, err)})
				}
				for _, v := range vals {
					values = append(values, string(v))
				}
			} else if !f.IsEmpty() {
				var v []byte
				v, scratch = f.Value(scratch[:0])
				values = []string{string(v)}
			}
			if len(values) > 0 {
				ev.fields[name] = values
				ev.names = append(ev.names, name)
			}
		}
		emit(ev)
		line += 1 + bytes.Count(r.Record(), []byte{'\n'})
	}
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}
