package winevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseJSON reads one flat JSON event (OTRF Security-Datasets style: keys are
// field names) and returns its fields, with the metadata and EventCode a
// Windows forwarder and the add-ons would have given it (see the package
// documentation).
func ParseJSON(line []byte) (Event, error) {
	d := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(line, utf8BOM)))
	d.UseNumber() // keep numbers' digits: 18446744073709551615 must not round
	b := newBuilder()
	tok, err := d.Token()
	if err != nil {
		return Event{}, fmt.Errorf("winevent: JSON: %w", describeJSONError(err))
	}
	if tok != json.Delim('{') {
		return Event{}, fmt.Errorf("winevent: JSON: event is %s, want an object", jsonKind(tok))
	}
	if err := readObject(d, b, "", 1); err != nil {
		return Event{}, fmt.Errorf("winevent: JSON: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		if err != nil {
			return Event{}, fmt.Errorf("winevent: JSON: after the event: %w", describeJSONError(err))
		}
		return Event{}, errors.New("winevent: JSON: data after the event's closing '}': one event per line")
	}

	if isNested(b) {
		tree, err := parseTree(bytes.TrimPrefix(line, utf8BOM))
		if err != nil {
			return Event{}, fmt.Errorf("winevent: JSON: %w", err)
		}
		return nestedEvent(tree)
	}
	if e, ok, err := exportEvent(b); ok || err != nil {
		return e, err
	}
	cimAliases(b)
	hostname := b.value("Hostname")
	metadata := [len(metadataNames)]string{"", hostname, sourceFor(b.value("Channel")), "XmlWinEventLog"}
	for _, timeKey := range []string{"TimeCreated", "@timestamp"} {
		if iso := b.value(timeKey); iso != "" {
			epoch, err := epochSeconds(iso)
			if err != nil {
				return Event{}, fmt.Errorf("winevent: JSON: %s: %w", timeKey, err)
			}
			metadata[0] = epoch
			break
		}
	}
	return b.finish(metadata, [][2]string{
		{"EventCode", b.value("EventID")},
		{"Computer", hostname},
	}), nil
}

// maxJSONDepth bounds nesting. Each level lengthens the field name, so an
// unbounded depth would cost memory quadratic in the line's length; Windows
// events are flat or nearly so.
const maxJSONDepth = 32

// readObject reads an object's members after its '{', naming nested fields
// the way Splunk's JSON extraction does: parent.child for objects. depth
// counts the containers open around the members.
func readObject(d *json.Decoder, b *builder, prefix string, depth int) error {
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return describeJSONError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key is %s, want a string", jsonKind(tok))
		}
		if err := readValue(d, b, prefix+key, depth); err != nil {
			return err
		}
	}
	_, err := d.Token() // the closing '}'
	return describeJSONError(err)
}

// readValue stores one value under name; arrays become the multivalue field
// name{} and objects name.child, as in Splunk's JSON field names.
func readValue(d *json.Decoder, b *builder, name string, depth int) error {
	tok, err := d.Token()
	if err != nil {
		return describeJSONError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxJSONDepth {
			return fmt.Errorf("field %q: nested deeper than %d levels", clip(name), maxJSONDepth)
		}
		if t == '{' {
			return readObject(d, b, name+".", depth+1)
		}
		// '[': the decoder guarantees '}' and ']' only close what opened.
		for d.More() {
			if err := readValue(d, b, name+"{}", depth+1); err != nil {
				return err
			}
		}
		_, err := d.Token() // the closing ']'
		return describeJSONError(err)
	case string:
		b.add(name, t)
	case json.Number:
		b.add(name, decimal(t))
	case bool:
		b.add(name, strconv.FormatBool(t))
	case nil:
		// null: Splunk has no null value distinct from an absent field.
	}
	return nil
}

// decimal writes a JSON number as a plain decimal string: integers keep all
// their digits; fractions and exponents become the shortest decimal that
// reads back as the same float64 (1e3 -> 1000).
func decimal(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of float64 range: the decoder already checked the syntax, so
		// keep the literal rather than invent a value.
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func jsonKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// describeJSONError turns the decoder's bare io.EOF into a sentence.
func describeJSONError(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("input ends inside the event (unbalanced braces or brackets?)")
	}
	return err
}
