package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"bitsscore/src/winevent"
)

// readJSON streams JSON events: JSON lines, objects spread over lines
// (pretty-printed), a top-level array of events, Splunk REST export lines
// ({"preview":false,"offset":N,"result":{...}}) and results documents
// ({"fields":[...],"results":[{...},...]}, streamed element by element).
// Events are numbered from 1 in place of a line.
func readJSON(source string, br *bufio.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	capped := newCappedReader(br, maxEvent)
	d := json.NewDecoder(capped)
	n := 0
	event := func(raw []byte) {
		n++
		capped.reset()
		ev, err := parseJSONEvent(raw)
		if err == nil {
			in := &inputEvent{source: source, line: n, fields: ev.Fields, names: ev.Names}
			if err = withRaw(in); err == nil {
				emit(in)
				return
			}
		}
		bad(&inputError{source: source, line: n, err: err})
	}
	// fail reports a value that cannot be read and goes on at the next
	// line, so that JSON lines lose only the bad line; it returns an error
	// only when the input itself cannot be read.
	fail := func(err error) error {
		var syntax *json.SyntaxError
		switch {
		case errors.Is(err, errTooLarge):
			n++
			bad(&inputError{source: source, line: n, err: errTooLarge})
			if capped.skipLine() != nil {
				return errStop
			}
			d = json.NewDecoder(capped)
		case errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF):
			n++
			bad(&inputError{source: source, line: n, err: fmt.Errorf("JSON at byte %d: %w (skipped to the next line)", d.InputOffset(), err)})
			rest := bufio.NewReader(io.MultiReader(d.Buffered(), capped))
			for {
				_, err := rest.ReadSlice('\n')
				if err == nil {
					break
				}
				if err != bufio.ErrBufferFull {
					return errStop
				}
			}
			d = json.NewDecoder(rest)
		default:
			return fmt.Errorf("%s: %w", source, err)
		}
		return nil
	}
	for {
		capped.reset()
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if err := fail(err); err != nil {
				return ignoreStop(err)
			}
			continue
		}
		switch tok {
		case json.Delim('['):
			err := readJSONArray(d, event)
			if err == nil {
				_, err = d.Token() // ']'
			}
			if err != nil {
				if err := fail(err); err != nil {
					return ignoreStop(err)
				}
			}
		case json.Delim('{'):
			if err := readJSONObject(d, event); err != nil {
				if err := fail(err); err != nil {
					return ignoreStop(err)
				}
			}
		default:
			n++
			bad(&inputError{source: source, line: n, err: fmt.Errorf("JSON value %v is not an event (an object)", tok)})
		}
	}
}

// errStop ends a JSON input quietly: its end came while skipping a bad
// value, which is already reported.
var errStop = errors.New("end of input while skipping a bad value")

func ignoreStop(err error) error {
	if err == errStop {
		return nil
	}
	return err
}

// readJSONArray reads an array's events after its '['.
func readJSONArray(d *json.Decoder, event func([]byte)) error {
	for d.More() {
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		event(raw)
	}
	return nil
}

// readJSONObject reads a top-level object after its '{': an event, or a
// results document whose "results" array is streamed to event.
func readJSONObject(d *json.Decoder, event func([]byte)) error {
	obj := []byte{'{'}
	streamed := false
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if key == "results" && !streamed {
			tok, err := d.Token()
			if err != nil {
				return err
			}
			if tok == json.Delim('[') {
				streamed = true
				if err := readJSONArray(d, event); err != nil {
					return err
				}
				if _, err := d.Token(); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf(`"results" is %v, want an array of events`, tok)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		if len(obj) > 1 {
			obj = append(obj, ',')
		}
		quoted, _ := json.Marshal(key)
		obj = append(append(append(obj, quoted...), ':'), raw...)
	}
	if _, err := d.Token(); err != nil { // '}'
		return err
	}
	if !streamed {
		event(append(obj, '}'))
	}
	return nil
}

// parseJSONEvent reads one event object, unwrapping a REST export line's
// "result".
func parseJSONEvent(raw []byte) (winevent.Event, error) {
	if bytes.Contains(raw, []byte(`"result"`)) {
		var line struct {
			Result  json.RawMessage `json:"result"`
			Preview *bool           `json:"preview"`
		}
		if json.Unmarshal(raw, &line) == nil && line.Preview != nil && bytes.HasPrefix(line.Result, []byte("{")) {
			raw = line.Result
		}
	}
	return winevent.ParseJSON(raw)
}
