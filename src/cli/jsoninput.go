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
// ({"preview":false,"offset":N,"result":{...}}), results documents
// ({"fields":[...],"results":[{...},...]}) and Elasticsearch or OpenSearch
// search responses ({"took":N,"hits":{"hits":[{...},...]}}), the last two
// streamed element by element.
// Events are numbered from 1 in place of a line.
func readJSON(source string, br *bufio.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	capped := newCappedReader(br, maxEvent)
	d := newJSONDecoder(capped)
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
			d = newJSONDecoder(capped)
		case errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
			if err == io.EOF { // the input ends inside a document or an array
				err = io.ErrUnexpectedEOF
			}
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
			d = newJSONDecoder(rest)
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

// newJSONDecoder reads numbers as their digits, so that a member written
// back as JSON keeps them (18446744073709551615 must not round).
func newJSONDecoder(r io.Reader) *json.Decoder {
	d := json.NewDecoder(r)
	d.UseNumber()
	return d
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
// document that holds events in an array, whose events are streamed to
// event: a Splunk REST results document ("results":[...]) or an
// Elasticsearch or OpenSearch search response ("hits":{"hits":[...]}, each
// hit read as elasticdump writes it). The document's other members are
// read and dropped.
func readJSONObject(d *json.Decoder, event func([]byte)) error {
	obj := []byte{'{'}
	streamed := false
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var member []byte
		switch {
		case key == "results" && !streamed:
			if tok, err = d.Token(); err != nil {
				return err
			}
			if tok != json.Delim('[') {
				return fmt.Errorf(`"results" is %v, want an array of events`, tok)
			}
			if err := readJSONEvents(d, event); err != nil {
				return err
			}
			streamed = true
			continue
		case key == "hits":
			var hits bool
			if member, hits, err = readSearchHits(d, event); err != nil {
				return err
			}
			streamed = streamed || hits
		default:
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return err
			}
			member = raw
		}
		if !streamed {
			obj = appendMember(obj, key, member)
		}
	}
	if _, err := d.Token(); err != nil { // '}'
		return err
	}
	if !streamed {
		event(append(obj, '}'))
	}
	return nil
}

// readSearchHits reads the value of a top-level "hits": in a search
// response an object whose own "hits" array holds the hits, which are
// streamed to event (hits is true); any other value is returned as its
// JSON text, for the event it belongs to.
func readSearchHits(d *json.Decoder, event func([]byte)) (member []byte, hits bool, err error) {
	tok, err := d.Token()
	if err != nil {
		return nil, false, err
	}
	if tok != json.Delim('{') {
		member, err = appendRest(nil, d, tok)
		return member, false, err
	}
	obj := []byte{'{'}
	for d.More() {
		if tok, err = d.Token(); err != nil {
			return nil, false, err
		}
		key, _ := tok.(string)
		if tok, err = d.Token(); err != nil {
			return nil, false, err
		}
		if key == "hits" && tok == json.Delim('[') && !hits {
			if err := readJSONEvents(d, event); err != nil {
				return nil, false, err
			}
			hits = true
			continue
		}
		value, err := appendRest(nil, d, tok)
		if err != nil {
			return nil, false, err
		}
		if !hits {
			obj = appendMember(obj, key, value)
		}
	}
	if _, err := d.Token(); err != nil { // '}'
		return nil, false, err
	}
	return append(obj, '}'), hits, nil
}

// readJSONEvents reads an array's events after its '[', and its ']'.
func readJSONEvents(d *json.Decoder, event func([]byte)) error {
	if err := readJSONArray(d, event); err != nil {
		return err
	}
	_, err := d.Token()
	return err
}

// appendRest appends the JSON text of the value whose first token, tok,
// has been read, reading the rest of it from d.
func appendRest(dst []byte, d *json.Decoder, tok json.Token) ([]byte, error) {
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		scalar, err := json.Marshal(tok)
		return append(dst, scalar...), err
	}
	dst = append(dst, byte(delim))
	for first := true; d.More(); first = false {
		if !first {
			dst = append(dst, ',')
		}
		if delim == '{' {
			key, err := d.Token()
			if err != nil {
				return nil, err
			}
			quoted, _ := json.Marshal(key)
			dst = append(append(dst, quoted...), ':')
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, err
		}
		dst = append(dst, raw...)
	}
	end, err := d.Token()
	if err != nil {
		return nil, err
	}
	closing, _ := end.(json.Delim) // the decoder lets only ']' or '}' follow
	return append(dst, byte(closing)), nil
}

// appendMember appends "key":value to an object being written back.
func appendMember(obj []byte, key string, value []byte) []byte {
	if len(obj) > 1 {
		obj = append(obj, ',')
	}
	quoted, _ := json.Marshal(key)
	return append(append(append(obj, quoted...), ':'), value...)
}

// parseJSONEvent reads one event object, unwrapping a REST export line's
// "result" and an Elasticsearch or OpenSearch hit's "_source" (a hit of a
// search response, of elasticdump's output or of jq '.hits.hits[]').
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
	if bytes.Contains(raw, []byte(`"_source"`)) {
		var hit struct {
			Index  *json.RawMessage `json:"_index"`
			Source json.RawMessage  `json:"_source"`
		}
		if json.Unmarshal(raw, &hit) == nil && hit.Index != nil && bytes.HasPrefix(hit.Source, []byte("{")) {
			raw = hit.Source
		}
	}
	return winevent.ParseJSON(raw)
}
