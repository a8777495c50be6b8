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
// search responses ({"took":N,"hits":{"hits":[{...},...]}}, bare or
// wrapped in an async search's "response" or Kibana's "rawResponse"), the
// last two streamed element by element.
//
// An event is named by the line where its value starts: an array's
// element where the element starts, any other event where its top-level
// object starts. A value that cannot be read is named the same way (a
// failure outside an array's events by its top-level value), and reading
// goes on at the line after the one where it failed.
func readJSON(source string, br *bufio.Reader, emit func(*inputEvent), bad func(*inputError)) error {
	in := &jsonInput{source: source, lines: &jsonLines{br: br, atLineStart: true}, emit: emit, bad: bad}
	in.capped = newCappedReader(in.lines, maxEvent)
	in.newDecoder()
	for {
		in.capped.reset()
		tok, err := in.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			in.valueLine = in.heldLine()
		} else {
			in.valueLine = in.lineOfLast(nil)
			switch tok {
			case json.Delim('['):
				if err = in.readArray(); err == nil {
					_, err = in.d.Token() // ']'
				}
			case json.Delim('{'):
				err = in.readObject()
			default:
				bad(&inputError{source: source, line: in.valueLine, err: fmt.Errorf("JSON value %v is not an event (an object)", tok)})
			}
		}
		if err != nil {
			if err := in.fail(err); err != nil {
				return ignoreStop(err)
			}
		}
	}
}

// A jsonInput reads one JSON input: its decoder, and where the decoder's
// bytes are in the input, to name events by their lines.
type jsonInput struct {
	source    string
	lines     *jsonLines
	capped    *cappedReader // between lines and d: caps one value's bytes
	d         *json.Decoder
	base      int64 // bytes of the input before d's first
	valueLine int   // line where the top-level value being read starts
	emit      func(*inputEvent)
	bad       func(*inputError)
}

// newDecoder starts a decoder at the input's next byte.
func (in *jsonInput) newDecoder() {
	in.capped.reset()
	in.d = newJSONDecoder(in.capped)
	in.base = in.lines.read
}

// lineOfLast returns the line where the value or token the decoder has
// just read starts, given its text (nil for a token, whose text holds no
// newline). The input's newlines up to the decoder's offset are those
// handed out less those still held past it; what the decoder holds past a
// value it has read is the rest of the last piece it read (it reads only
// once it has scanned all it holds), and a piece holds at most one
// newline, its last byte: O(1) besides counting the value's own newlines.
func (in *jsonInput) lineOfLast(text []byte) int {
	newlines := in.lines.newlines - bytes.Count(text, []byte{'\n'})
	if held := in.lines.read - in.base - in.d.InputOffset(); held > 0 && in.lines.atLineStart {
		newlines--
	}
	return 1 + newlines
}

// heldLine returns the line of the first byte other than white space that
// the decoder holds: after a failure, where the value it was reading
// starts. The held bytes are counted once: the decoder is then dropped.
func (in *jsonInput) heldLine() int {
	held, newlines, started := in.d.Buffered(), 0, false
	var b [4096]byte
	for {
		n, err := held.Read(b[:])
		chunk := b[:n]
		if !started {
			chunk = bytes.TrimLeft(chunk, " \t\r\n")
			started = len(chunk) > 0
		}
		newlines += bytes.Count(chunk, []byte{'\n'})
		if err != nil {
			return 1 + in.lines.newlines - newlines
		}
	}
}

// event reads one event's JSON text, which starts at line.
func (in *jsonInput) event(raw []byte, line int) {
	in.capped.reset()
	ev, err := parseJSONEvent(raw)
	if err == nil {
		ev := &inputEvent{source: in.source, line: line, fields: ev.Fields, names: ev.Names}
		if err = withRaw(ev); err == nil {
			in.emit(ev)
			return
		}
	}
	in.bad(&inputError{source: in.source, line: line, err: err})
}

// An elementError is a failure inside an array's element, named by the
// line where the element starts.
type elementError struct {
	line int
	err  error
}

func (e *elementError) Error() string { return e.err.Error() }
func (e *elementError) Unwrap() error { return e.err }

// fail reports a value that cannot be read and goes on at the line after
// the one where reading stopped, so that JSON lines lose only the bad line
// and no byte is read twice; it returns an error only when the input
// itself cannot be read.
func (in *jsonInput) fail(err error) error {
	line := in.valueLine
	var element *elementError
	if errors.As(err, &element) {
		line, err = element.line, element.err
	}
	var syntax *json.SyntaxError
	switch {
	case errors.Is(err, errTooLarge):
		in.bad(&inputError{source: in.source, line: line, err: errTooLarge})
	case errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		if err == io.EOF { // the input ends inside a document or an array
			err = io.ErrUnexpectedEOF
		}
		in.bad(&inputError{source: in.source, line: line, err: fmt.Errorf("JSON at byte %d: %w (skipped to the next line)", in.base+in.d.InputOffset(), err)})
	default:
		return fmt.Errorf("%s: %w", in.source, err)
	}
	if in.lines.skipLine() != nil {
		return errStop
	}
	in.newDecoder()
	return nil
}

// A jsonLines hands a JSON decoder its input at most a line at a time and
// counts what it hands out, so that the line of a value is known without
// keeping where newlines are (jsonInput.lineOfLast).
type jsonLines struct {
	br          *bufio.Reader
	read        int64 // bytes handed out
	newlines    int   // newlines handed out
	atLineStart bool  // the last byte handed out is a newline, or none was
}

func (l *jsonLines) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.br.Buffered() == 0 {
		if _, err := l.br.Peek(1); err != nil {
			return 0, err
		}
	}
	piece, _ := l.br.Peek(min(l.br.Buffered(), len(p)))
	if i := bytes.IndexByte(piece, '\n'); i >= 0 {
		piece = piece[:i+1]
	}
	n := copy(p, piece)
	l.br.Discard(n)
	l.handedOut(p[:n])
	return n, nil
}

func (l *jsonLines) handedOut(piece []byte) {
	if len(piece) == 0 {
		return
	}
	l.read += int64(len(piece))
	l.atLineStart = piece[len(piece)-1] == '\n'
	if l.atLineStart {
		l.newlines++
	}
}

// skipLine discards the rest of the line being read, if any.
func (l *jsonLines) skipLine() error {
	for !l.atLineStart {
		rest, err := l.br.ReadSlice('\n')
		l.handedOut(rest)
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
	return nil
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

// readArray reads an array's events after its '['.
func (in *jsonInput) readArray() error {
	for in.d.More() {
		var raw json.RawMessage
		if err := in.d.Decode(&raw); err != nil {
			return &elementError{line: in.heldLine(), err: err}
		}
		in.event(raw, in.lineOfLast(raw))
	}
	return nil
}

// readObject reads a top-level object after its '{': an event, or a
// document that holds events in an array, whose events are streamed to
// in.event: a Splunk REST results document ("results":[...]) or an
// Elasticsearch or OpenSearch search response ("hits":{"hits":[...]}, each
// hit read as elasticdump writes it). The document's other members are
// read and dropped.
func (in *jsonInput) readObject() error {
	d := in.d
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
			if err := in.readEvents(); err != nil {
				return err
			}
			streamed = true
			continue
		case key == "hits":
			var hits bool
			if member, hits, err = in.readSearchHits(); err != nil {
				return err
			}
			streamed = streamed || hits
		case key == "response" || key == "rawResponse":
			// The async search API's response and Kibana's Inspect >
			// Response wrap a search response in one of these.
			var hits bool
			if member, hits, err = in.readWrappedResponse(); err != nil {
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
		obj = append(obj, '}')
		if err := searchError(obj); err != nil {
			return err
		}
		in.event(obj, in.valueLine)
	}
	return nil
}

// readWrappedResponse reads the value of a top-level "response" or
// "rawResponse": when it is a search response, its hits are streamed to
// in.event (hits is true); otherwise its JSON text is returned, for the
// event it belongs to.
func (in *jsonInput) readWrappedResponse() (member []byte, hits bool, err error) {
	obj, hits, err := in.readMembers(func(key string) ([]byte, bool, error) {
		if key == "hits" {
			return in.readSearchHits()
		}
		return in.readValue()
	})
	if err == nil && !hits && obj[0] == '{' {
		err = searchError(obj)
	}
	return obj, hits, err
}

// searchError returns the error an Elasticsearch or OpenSearch response
// reports instead of hits ({"error":{"type":..,"reason":..},"status":400},
// an async search's {"id":..,"is_running":false,"error":{..}}), or nil
// when obj is no such response.
func searchError(obj []byte) error {
	if !bytes.Contains(obj, []byte(`"error"`)) {
		return nil
	}
	var resp struct {
		Error *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
		Status    *json.RawMessage `json:"status"`
		IsRunning *bool            `json:"is_running"`
		Took      *json.RawMessage `json:"took"`
	}
	if json.Unmarshal(obj, &resp) != nil || resp.Error == nil || resp.Error.Type == "" && resp.Error.Reason == "" ||
		resp.Status == nil && resp.IsRunning == nil && resp.Took == nil {
		return nil
	}
	return fmt.Errorf("the search failed: %s: %s", resp.Error.Type, resp.Error.Reason)
}

// readSearchHits reads the value of a top-level "hits": in a search
// response an object whose own "hits" array holds the hits, which are
// streamed to in.event (hits is true); any other value is returned as its
// JSON text, for the event it belongs to.
func (in *jsonInput) readSearchHits() (member []byte, hits bool, err error) {
	streamed := false
	return in.readMembers(func(key string) ([]byte, bool, error) {
		tok, err := in.d.Token()
		if err != nil {
			return nil, false, err
		}
		if key == "hits" && tok == json.Delim('[') && !streamed {
			streamed = true
			return nil, true, in.readEvents()
		}
		value, err := appendRest(nil, in.d, tok)
		return value, false, err
	})
}

// readMembers reads a value that may be an object whose members stream
// events: member reads the value of each key and reports whether it
// streamed events to in.event (then hits is true, and the object's other
// members are dropped: the events are what it held). Otherwise the
// value's JSON text is returned, for the event it belongs to.
func (in *jsonInput) readMembers(member func(key string) (value []byte, streamed bool, err error)) (obj []byte, hits bool, err error) {
	d := in.d
	tok, err := d.Token()
	if err != nil {
		return nil, false, err
	}
	if tok != json.Delim('{') {
		obj, err = appendRest(nil, d, tok)
		return obj, false, err
	}
	obj = []byte{'{'}
	for d.More() {
		if tok, err = d.Token(); err != nil {
			return nil, false, err
		}
		key, _ := tok.(string)
		value, streamed, err := member(key)
		if err != nil {
			return nil, false, err
		}
		hits = hits || streamed
		if !hits {
			obj = appendMember(obj, key, value)
		}
	}
	if _, err := d.Token(); err != nil { // '}'
		return nil, false, err
	}
	return append(obj, '}'), hits, nil
}

// readValue reads the next value whole and returns its JSON text.
func (in *jsonInput) readValue() ([]byte, bool, error) {
	tok, err := in.d.Token()
	if err != nil {
		return nil, false, err
	}
	value, err := appendRest(nil, in.d, tok)
	return value, false, err
}

// readEvents reads an array's events after its '[', and its ']'.
func (in *jsonInput) readEvents() error {
	if err := in.readArray(); err != nil {
		return err
	}
	_, err := in.d.Token()
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
	} else if bytes.Contains(raw, []byte(`"fields"`)) {
		var hit struct {
			Index  *json.RawMessage `json:"_index"`
			Fields json.RawMessage  `json:"fields"`
		}
		if json.Unmarshal(raw, &hit) == nil && hit.Index != nil && bytes.HasPrefix(hit.Fields, []byte("{")) {
			var err error
			if raw, err = hitFields(hit.Fields); err != nil {
				return winevent.Event{}, err
			}
		}
	}
	return winevent.ParseJSON(raw)
}

// hitFields turns a hit's "fields" (a search with "fields" or
// "docvalue_fields" and no _source: {"winlog.event_id":["1"],...}, every
// value an array, names dotted) into the document _source would have
// held: an array of one value is that value, an array of several stays
// an array, as _source holds several values; dotted names are the
// flattened names of _source's objects.
func hitFields(fields []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(fields))
	d.UseNumber()
	if _, err := d.Token(); err != nil { // '{'
		return nil, err
	}
	obj := make([]byte, 1, len(fields))
	obj[0] = '{'
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := d.Decode(&value); err != nil {
			return nil, err
		}
		var items []json.RawMessage
		if bytes.HasPrefix(value, []byte("[")) && json.Unmarshal(value, &items) == nil && len(items) == 1 {
			value = items[0]
		}
		obj = appendMember(obj, key, value)
	}
	return append(obj, '}'), nil
}
