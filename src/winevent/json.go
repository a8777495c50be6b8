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
	tok, err := d.Token()
	if err != nil {
		return Event{}, fmt.Errorf("winevent: JSON: %w", describeJSONError(err))
	}
	if tok != json.Delim('{') {
		return Event{}, fmt.Errorf("winevent: JSON: event is %s, want an object", jsonKind(tok))
	}
	// The event is read once, as a tree: flattened, it is every event's
	// fields and tells a nested event, which is mapped from the tree.
	// A member is a colon: enough nodes for most events, in one allocation.
	tree := &jsonTree{nodes: make([]jsonNode, 0, bytes.Count(line, []byte{':'})+1)}
	if err := tree.read(d, tok); err != nil {
		return Event{}, fmt.Errorf("winevent: JSON: %w", describeJSONError(err))
	}
	if _, err := d.Token(); err != io.EOF {
		if err != nil {
			return Event{}, fmt.Errorf("winevent: JSON: after the event: %w", describeJSONError(err))
		}
		return Event{}, errors.New("winevent: JSON: data after the event's closing '}': one event per line")
	}
	b := newBuilder()
	tree.flatten(b)
	if isNested(b) {
		return nestedEvent(tree)
	}
	return flatEvent(b)
}

// flatEvent maps a flat event's fields: the exports that rename them, CIM
// names, or the fields as they are.
func flatEvent(b *builder) (Event, error) {
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
