package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"bitsscore/src/splcsv"
	"bitsscore/src/winevent"
)

// unreadableEvents is an events file replay cannot read: bad usage (exit
// status 2), whatever the command has done with the events before it.
type unreadableEvents struct{ err error }

func (e *unreadableEvents) Error() string { return e.err.Error() }
func (e *unreadableEvents) Unwrap() error { return e.err }

// badEvents counts the events that cannot be read. One is enough to stop
// sending: replay sends every event of a file or fails, as before a search
// that loses none. The rest of the file is still read, to count them all.
type badEvents struct {
	n     int
	first *inputError
}

func (b *badEvents) add(e *inputError) {
	if b.n == 0 {
		b.first = e
	}
	b.n++
}

func (b *badEvents) err() error {
	if b.n == 0 {
		return nil
	}
	return &unreadableEvents{fmt.Errorf("%d events could not be read; the first: %s", b.n, b.first)}
}

// sendEvents reads the events of r and hands them to execute a chunk of at
// most chunkSize at a time, each chunk a CSV body of every field of its
// events. A CSV file's records go as they are (sendCSV); other shapes, and
// CSV whose rows score reads otherwise, are read into events and encoded a
// chunk at a time (sendDecoded). Only one chunk is held.
func sendEvents(source string, r io.Reader, chunkSize int, execute func([]byte) error) error {
	br, first, err := openInput(r)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return &unreadableEvents{err}
	}
	if first == '<' || first == '{' || first == '[' {
		return sendDecoded(source, br, first, chunkSize, execute)
	}
	return sendCSV(source, br, chunkSize, execute)
}

// sendDecoded reads events of any shape as score does, and encodes each
// chunk with winevent.ToCSV: its fields are those of its events.
func sendDecoded(source string, br *bufio.Reader, first byte, chunkSize int, execute func([]byte) error) error {
	var (
		chunk   []winevent.Event
		names   []string
		seen    = map[string]bool{}
		sendErr error
		bad     badEvents
	)
	send := func() error {
		body := winevent.ToCSV(chunk, names)
		chunk, names = chunk[:0], names[:0]
		clear(seen)
		return execute(body)
	}
	emit := func(ev *inputEvent) {
		if sendErr != nil || bad.n > 0 {
			return
		}
		// The reader may reuse the event's map for the next event.
		chunk = append(chunk, winevent.Event{Fields: maps.Clone(ev.fields), Names: slices.Clone(ev.names)})
		for _, n := range ev.names {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if len(chunk) == chunkSize {
			sendErr = send()
		}
	}
	err := readShape(source, br, first, nil, emit, bad.add)
	switch {
	case sendErr != nil:
		return sendErr
	case err != nil:
		return &unreadableEvents{err}
	case bad.n > 0:
		return bad.err()
	case len(chunk) > 0:
		return send()
	}
	return nil
}

// sendCSV sends a CSV file's records as they are: each chunk is the file's
// header row and the next records, found by splcsv.Scanner and checked by
// splcsv.Reader (a non-empty __mv_ cell must decode), never decoded; only
// a ragged record is rewritten, to the header's columns. A file whose
// header cannot be passed on (a column named twice or not at all), or
// whose rows score reads otherwise (passesThrough), goes to sendDecoded.
func sendCSV(source string, br *bufio.Reader, chunkSize int, execute func([]byte) error) error {
	records := splcsv.NewScanner(br, maxEvent)
	var header []byte
	for {
		record, line, err := records.Next()
		if errors.Is(err, splcsv.ErrTooLarge) {
			return &unreadableEvents{&inputError{source: source, line: line, err: fmt.Errorf("header: %w", errTooLarge)}}
		}
		if err != nil && err != io.EOF {
			return &unreadableEvents{fmt.Errorf("%s:%d: %w", source, line, err)}
		}
		if len(bytes.TrimRight(record, "\r\n")) > 0 || err == io.EOF {
			header = record
			break
		}
	}
	hr := splcsv.NewReader(header)
	if _, err := hr.ReadHeader(); err != nil || !passesThrough(hr.Header()) {
		rest := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(header), br), 64<<10)
		return sendDecoded(source, rest, 0, chunkSize, execute) // 0: not '<', '{' or '[', so CSV
	}
	names := slices.Clone(hr.Header())
	var companions []int
	for c, name := range names {
		if strings.HasPrefix(name, splcsv.MultivaluePrefix) {
			companions = append(companions, c)
		}
	}

	body := append([]byte(nil), header...)
	if !bytes.HasSuffix(body, []byte{'\n'}) {
		body = append(body, '\n')
	}
	headerLen, n := len(body), 0
	var bad badEvents
	rec := splcsv.Reader{Ragged: true}
	var scratch []byte
	for {
		record, line, err := records.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, splcsv.ErrTooLarge) {
			bad.add(&inputError{source: source, line: line, err: errTooLarge})
			continue
		}
		if err != nil {
			return &unreadableEvents{fmt.Errorf("%s:%d: %w", source, line, err)}
		}
		rec.ResetRecords(record, names)
		fields, err := rec.Next()
		if err != nil {
			bad.add(csvRecordError(source, line, err))
			continue
		}
		if fields == nil || (len(names) == 1 && len(bytes.TrimRight(record, "\r\n")) == 0) {
			continue // a blank line, skipped as encoding/csv skips it
		}
		if len(fields) != len(names) {
			// A ragged record, which score reads too: the fields it
			// lacks are null, the ones past the header's are dropped.
			fields = append(fields[:min(len(fields), len(names))], make([]splcsv.Field, max(len(names)-len(fields), 0))...)
			record = record[:0:0]
		}
		if err := checkCompanions(fields, names, companions, &scratch); err != nil {
			bad.add(&inputError{source: source, line: line, err: err})
			continue
		}
		if bad.n > 0 {
			continue
		}
		if len(record) > 0 {
			body = append(body, record...)
			if !bytes.HasSuffix(record, []byte{'\n'}) {
				body = append(body, '\n')
			}
		} else {
			for c, f := range fields {
				if c > 0 {
					body = append(body, ',')
				}
				body = append(body, f.Raw...)
			}
			body = append(body, '\n')
		}
		if n++; n == chunkSize {
			if err := execute(body); err != nil {
				return err
			}
			body, n = body[:headerLen], 0
		}
	}
	if bad.n > 0 {
		return bad.err()
	}
	if n > 0 {
		return execute(body)
	}
	return nil
}

// passesThrough reports whether the rows of a CSV file with this header can
// go to the command as they are: score reads them as they are, so the
// command sees what score would. Not so with a _raw column (its event XML
// is read, as raw=t reads it), the columns of an export that score renames
// (winevent.IsExportHeader), or Export-Csv's "#TYPE" line before the
// header.
func passesThrough(header []string) bool {
	return !slices.Contains(header, "_raw") && !winevent.IsExportHeader(header) && !isTypeLine(header)
}

// csvRecordError is a record splcsv.Reader refuses, at its line in the
// file.
func csvRecordError(source string, line int, err error) *inputError {
	var pe *splcsv.ParseError
	if errors.As(err, &pe) {
		return &inputError{source: source, line: line + pe.Line - 1, err: errors.New(pe.Msg)}
	}
	return &inputError{source: source, line: line, err: err}
}

// checkCompanions checks that the record's non-empty __mv_ cells decode, as
// score's reading of the file would.
func checkCompanions(fields []splcsv.Field, names []string, companions []int, scratch *[]byte) error {
	for _, c := range companions {
		if fields[c].IsEmpty() {
			continue
		}
		var mv []byte
		mv, *scratch = fields[c].Value((*scratch)[:0])
		if _, _, err := splcsv.DecodeMultivalue(mv, nil, *scratch); err != nil {
			return fmt.Errorf("field %s: %w", strings.TrimPrefix(names[c], splcsv.MultivaluePrefix), err)
		}
	}
	return nil
}
