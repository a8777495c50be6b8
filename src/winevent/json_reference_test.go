package winevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceParseJSON is the reading of one JSON event that ParseJSON's
// single pass replaced: the event read flat with encoding/json's tokens,
// and a nested event (or an EvtxECmd Payload) read a second time into a
// tree of pointers. It is kept as the reference of a differential test and
// fuzz target (TestParseJSONMatchesReference, FuzzParseJSONMatchesReference):
// ParseJSON must give the same Event, or the same error, for every input.
func referenceParseJSON(line []byte) (Event, error) {
	d := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(line, utf8BOM)))
	d.UseNumber()
	b := newBuilder()
	tok, err := d.Token()
	if err != nil {
		return Event{}, fmt.Errorf("winevent: JSON: %w", describeJSONError(err))
	}
	if tok != json.Delim('{') {
		return Event{}, fmt.Errorf("winevent: JSON: event is %s, want an object", jsonKind(tok))
	}
	if err := refReadObject(d, b, "", 1); err != nil {
		return Event{}, fmt.Errorf("winevent: JSON: %w", err)
	}
	if _, err := d.Token(); err != io.EOF {
		if err != nil {
			return Event{}, fmt.Errorf("winevent: JSON: after the event: %w", describeJSONError(err))
		}
		return Event{}, errors.New("winevent: JSON: data after the event's closing '}': one event per line")
	}
	if isNested(b) {
		tree, err := refParseTree(bytes.TrimPrefix(line, utf8BOM))
		if err != nil {
			return Event{}, fmt.Errorf("winevent: JSON: %w", err)
		}
		return refNestedEvent(tree)
	}
	if _, isECS := ecsPrefix(b); !isECS && isEvtxECmd(b) {
		return refEvtxECmdEvent(b)
	}
	return flatEvent(b)
}

func refReadObject(d *json.Decoder, b *builder, prefix string, depth int) error {
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return describeJSONError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key is %s, want a string", jsonKind(tok))
		}
		if err := refReadValue(d, b, prefix+key, depth); err != nil {
			return err
		}
	}
	_, err := d.Token() // the closing '}'
	return describeJSONError(err)
}

func refReadValue(d *json.Decoder, b *builder, name string, depth int) error {
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
			return refReadObject(d, b, name+".", depth+1)
		}
		for d.More() {
			if err := refReadValue(d, b, name+"{}", depth+1); err != nil {
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
	}
	return nil
}

// refNode is one JSON value of the reference's tree.
type refNode struct {
	kind    jsonKindOf
	text    string
	keys    []string
	members []*refNode
}

func refParseTree(data []byte) (*refNode, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	n, err := refReadNode(d, 0)
	if err != nil {
		return nil, describeJSONError(err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("data after the JSON value")
	}
	return n, nil
}

func refReadNode(d *json.Decoder, depth int) (*refNode, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxJSONDepth {
			return nil, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
		}
		n := &refNode{kind: jsonArray}
		if t == '{' {
			n.kind = jsonObject
		}
		for d.More() {
			if n.kind == jsonObject {
				key, err := d.Token()
				if err != nil {
					return nil, err
				}
				name, _ := key.(string)
				n.keys = append(n.keys, name)
			}
			member, err := refReadNode(d, depth+1)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member)
		}
		_, err := d.Token()
		return n, err
	case string:
		return &refNode{kind: jsonScalar, text: t}, nil
	case json.Number:
		return &refNode{kind: jsonScalar, text: decimal(t)}, nil
	case bool:
		return &refNode{kind: jsonScalar, text: strconv.FormatBool(t)}, nil
	}
	return &refNode{kind: jsonNull}, nil
}

func (n *refNode) get(key string) *refNode {
	if n == nil || n.kind != jsonObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.members[i]
		}
	}
	return nil
}

func (n *refNode) scalar() string {
	if n == nil || n.kind != jsonScalar {
		return ""
	}
	return n.text
}

func refNestedEvent(tree *refNode) (Event, error) {
	root := tree
	if event := tree.get("Event"); event.get("System") != nil {
		root = event
	}
	system, data := newBuilder(), newBuilder()
	if root.get("System") != nil {
		refSystemFields(system, root.get("System"))
	} else {
		for _, name := range huntedSystem {
			value := root.get(name[0]).scalar()
			if name[1] == "SystemTime" {
				value = isoTime(value)
			}
			system.first(name[1], value)
		}
	}
	refEventDataFields(data, root.get("EventData"))
	refUserDataFields(data, root.get("UserData"))
	if message := root.get("RenderingInfo").get("Message"); message != nil {
		data.first("Message", refElementText(message))
	}
	data.first("Message", root.get("Message").scalar())
	return finishXML(system, data)
}

func refSystemFields(system *builder, node *refNode) {
	if node == nil || node.kind != jsonObject {
		return
	}
	for i, key := range node.keys {
		if isAttributeKey(key) {
			continue
		}
		child := node.members[i]
		refEachAttribute(child, true, func(name, value string) {
			if name == "SystemTime" {
				value = isoTime(value)
			}
			system.first(cleanKey(name), value)
		})
		system.first(cleanKey(key), refElementText(child))
	}
}

func refEventDataFields(data *builder, node *refNode) {
	if node == nil || node.kind != jsonObject {
		return
	}
	for i, key := range node.keys {
		switch {
		case isAttributeKey(key) || key == "Binary":
		case key == "Data":
			refDataElements(data, node.members[i])
		default:
			for _, v := range refElementTexts(node.members[i]) {
				data.first(cleanKey(key), v)
			}
		}
	}
}

func refDataElements(data *builder, node *refNode) {
	switch node.kind {
	case jsonArray:
		for _, item := range node.members {
			refDataElements(data, item)
		}
	case jsonScalar:
		data.add("Data", node.text)
	case jsonObject:
		name := ""
		refEachAttribute(node, false, func(attr, value string) {
			if attr == "Name" && name == "" {
				name = value
			}
		})
		for _, text := range refElementTexts(node) {
			if name != "" {
				data.first(cleanKey(name), text)
			} else {
				data.add("Data", text)
			}
		}
	}
}

func refUserDataFields(data *builder, node *refNode) {
	if node == nil {
		return
	}
	switch node.kind {
	case jsonArray:
		for _, item := range node.members {
			refUserDataFields(data, item)
		}
	case jsonObject:
		for i, key := range node.keys {
			if isAttributeKey(key) {
				continue
			}
			child := node.members[i]
			if child.kind == jsonObject && !refHasElements(child) || child.kind == jsonScalar {
				data.first(cleanKey(key), refElementText(child))
				continue
			}
			if child.kind == jsonArray && len(child.members) > 0 && child.members[0].kind == jsonScalar {
				for _, item := range child.members {
					data.first(cleanKey(key), item.text)
				}
				continue
			}
			refUserDataFields(data, child)
		}
	}
}

func refHasElements(node *refNode) bool {
	for _, key := range node.keys {
		if !isTextKey(key) && !isAttributeKey(key) {
			return true
		}
	}
	return false
}

func refElementText(node *refNode) string {
	if texts := refElementTexts(node); len(texts) > 0 {
		return texts[0]
	}
	return ""
}

func refElementTexts(node *refNode) []string {
	switch node.kind {
	case jsonScalar:
		return []string{node.text}
	case jsonArray:
		var texts []string
		for _, item := range node.members {
			if item.kind == jsonScalar {
				texts = append(texts, item.text)
			} else if t := refElementText(item); t != "" {
				texts = append(texts, t)
			}
		}
		return texts
	case jsonObject:
		for i, key := range node.keys {
			if isTextKey(key) {
				return refElementTexts(node.members[i])
			}
		}
	}
	return nil
}

func refEachAttribute(node *refNode, plain bool, f func(name, value string)) {
	if node == nil || node.kind != jsonObject {
		return
	}
	for i, key := range node.keys {
		member := node.members[i]
		switch {
		case key == "#attributes" || key == "_attributes" || key == "$":
			refEachAttribute(member, true, f)
		case strings.HasPrefix(key, "@"):
			if name := key[1:]; name != "xmlns" && !strings.HasPrefix(name, "xmlns:") {
				f(name, member.scalar())
			}
		case plain && member.kind == jsonScalar && !isTextKey(key) && key != "xmlns" && !strings.HasPrefix(key, "xmlns:"):
			f(key, member.text)
		}
	}
}

func refEvtxECmdEvent(flat *builder) (Event, error) {
	payload, err := refParseTree([]byte(flat.value("Payload")))
	if err != nil {
		return Event{}, fmt.Errorf("winevent: EvtxECmd Payload: %w", err)
	}
	data := newBuilder()
	refEventDataFields(data, payload.get("EventData"))
	refUserDataFields(data, payload.get("UserData"))
	return finishXML(evtxECmdSystem(flat), data)
}

// jsonDifferentialCases are inputs at the edges of the two readings: the
// depth bound at every kind of container, names with dots and empty
// names, null where an element or a section is looked for, the nested
// signatures met partway or under other names, and malformed JSON at each
// place a token can be.
var jsonDifferentialCases = []string{
	`{}`, `{"":"x"}`, `{"":{"":"y"}}`, `{"a":null}`, `{"a":[]}`, `{"a":{}}`, `{"a":[[["x"]],{"b":[1,{"c":true}]}]}`,
	`{"Event.System.EventID":"4688","EventData":{"X":"v"}}`,
	`{"Event":{"System.EventID":"1"},"System":{"EventID":""}}`,
	`{"Event":{"System":{"EventIDx":"1"}}}`,
	`{"Event":{"System":null},"System":{"EventID":4688}}`,
	`{"Event":{"System":{"EventID":{"#text":""}}}}`,
	`{"System":{"EventID":[1,2],"Provider":[{"@Name":"a"},{"@Name":"b"}]},"EventData":null}`,
	`{"EventID":1,"EventData":{"Data":[null,"",{"@Name":"","#text":"t"},{"@Name":"-","#text":"u"}]}}`,
	`{"EventID":1,"UserData":{"A":[{"B":"b"},"c"],"D":["e",{"f":"g"}],"H":{"@x":"1"},"I":{"J":{"Value":"k"}}}}`,
	`{"EventID":1,"EventData":{},"EventTime":1603420603.12,"Message":{"x":"y"}}`,
	`{"Event":{"System":{"EventID":"1","TimeCreated":{"#attributes":{"SystemTime":"bad"}}}}}`,
	`{"Event":{"System":{"EventID":"1"},"RenderingInfo":{"Message":null},"Message":"m"}}`,
	`{"Event":{"System":{"EventID":"1"},"RenderingInfo":{"Message":["",{"#text":"r"}]}}}`,
	`{"Event":{"System":{"EventID":"1"},"EventData":{"Data":{"#text":[["a"],{"_":"b"},null,""]}}}}`,
	`{"EventId":1,"Provider":"p","Payload":"{\"EventData\":{\"Data\":[{\"@Name\":\"A\",\"#text\":\"1\"}]}}"}`,
	`{"EventId":1,"Provider":"p","Payload":"{\"EventData\":` + strings.Repeat("[", 40) + `}"}`,
	`{"EventId":1,"Provider":"p","Payload":"{\"UserData\":{}} {}"}`,
	`{"EventId":1,"Provider":"p","Payload":"{\"EventData\":{\"Data\":\"x\"}"}`,
	`{"a":` + strings.Repeat(`{"b":`, 30) + `[]` + strings.Repeat(`}`, 31),
	`{"a":` + strings.Repeat(`{"b":`, 31) + `[]` + strings.Repeat(`}`, 32),
	`{"a":` + strings.Repeat(`[`, 31) + strings.Repeat(`]`, 31) + `}`,
	`{"a":` + strings.Repeat(`[`, 32) + strings.Repeat(`]`, 32) + `}`,
	`{"a":[{"b":[` + strings.Repeat(`{"c":[`, 14) + `{}` + strings.Repeat(`]}`, 14) + `]}]}`,
	`{"Event":{"System":{"EventID":"1"}},"deep":` + strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40) + `}`,
	`{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `{"a":[1,]}`, `{"a":[1`, `{"a" 1}`, `{1:2}`, `{"a":1}}`,
	`{"a":1} x`, `{"a":1} {"b":2}`, `[{"a":1}]`, `"x"`, `{"a":tru}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", "\ufeff{\"a\":1}",
}

// TestParseJSONMatchesReference checks ParseJSON's single reading against
// the two readings it replaced, on every JSON fixture event, the XML
// fixtures written as xmltodict does, the FuzzParse seeds and the cases
// above: the same Event or the same error.
func TestParseJSONMatchesReference(t *testing.T) {
	inputs := jsonDifferentialInputs(t)
	accepted := 0
	for _, input := range inputs {
		if compareJSONWithReference(t, input) {
			accepted++
		}
	}
	if accepted < len(inputs)/2 {
		t.Errorf("only %d of %d inputs accepted: the comparison proves little", accepted, len(inputs))
	}
}

func jsonDifferentialInputs(tb testing.TB) [][]byte {
	var inputs [][]byte
	for _, c := range jsonDifferentialCases {
		inputs = append(inputs, []byte(c))
	}
	for name := range fixtureEventCounts {
		if strings.HasSuffix(name, ".jsonl") {
			inputs = append(inputs, fixtureLines(tb, name)...)
		}
	}
	inputs = append(inputs, nestedFixtureEvents(tb)...)
	seeds, err := filepath.Glob("testdata/fuzz/FuzzParse/json-*")
	if err != nil || len(seeds) == 0 {
		tb.Fatalf("no FuzzParse JSON seeds: %v", err)
	}
	for _, path := range seeds {
		inputs = append(inputs, fuzzSeed(tb, filepath.Base(path)))
	}
	return inputs
}

// compareJSONWithReference fails t when ParseJSON and the reference
// disagree on input, and reports whether both accepted it.
func compareJSONWithReference(t *testing.T, input []byte) bool {
	t.Helper()
	got, err := ParseJSON(input)
	want, refErr := referenceParseJSON(input)
	switch {
	case err != nil || refErr != nil:
		if fmt.Sprint(err) != fmt.Sprint(refErr) {
			t.Errorf("ParseJSON(%q) error %v, the reference's %v", clip(string(input)), err, refErr)
		}
		return false
	default:
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseJSON(%q) differs from the reference (-reference +ParseJSON):\n%s", clip(string(input)), diff)
		}
		return true
	}
}

// FuzzParseJSONMatchesReference runs the comparison on generated events.
func FuzzParseJSONMatchesReference(f *testing.F) {
	for _, input := range jsonDifferentialInputs(f) {
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		compareJSONWithReference(t, input)
	})
}
