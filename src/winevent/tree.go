package winevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// A jsonTree is one JSON value read once, its nodes in document order:
// a container's members follow it, and its end is the index after its
// last descendant. Both readings of an event walk it: the flat one
// (Splunk's names, parent.child and name{}) and the nested one (an event's
// XML turned into JSON by a converter), which needs the structure and the
// order of an object's members, since the first of two same-named values
// wins. One slice holds every node: reading a value costs no allocation of
// its own beyond its text.
type jsonTree struct {
	nodes []jsonNode
}

type jsonNode struct {
	kind jsonKindOf
	key  string // the member's name, when the node is an object's member
	text string // a scalar's text: a string, a number's digits, true or false
	end  int    // the index after the node's last descendant
}

type jsonKindOf uint8

const (
	jsonNull jsonKindOf = iota
	jsonScalar
	jsonObject
	jsonArray
)

// absent is the index of a member that is not there.
const absent = -1

// errTooDeep is the nesting error of a value read by read: it names the
// field, as Splunk would name it, whose value is too deep.
type errTooDeep struct{ field string }

func (e *errTooDeep) Error() string {
	return fmt.Sprintf("field %q: nested deeper than %d levels", clip(e.field), maxJSONDepth)
}

// read appends the value that starts with tok, reading the rest of it
// from d. Nesting is bounded by maxJSONDepth and followed on an explicit
// stack, so nothing recurses. Errors are the decoder's, as it gives them.
func (t *jsonTree) read(d *json.Decoder, tok json.Token) error {
	var open []int // the containers not yet closed
	for {
		key := ""
		if len(open) > 0 && t.nodes[open[len(open)-1]].kind == jsonObject {
			if tok == json.Delim('}') {
				t.nodes[open[len(open)-1]].end = len(t.nodes)
				open = open[:len(open)-1]
				if len(open) == 0 {
					return nil
				}
				var err error
				if tok, err = d.Token(); err != nil {
					return err
				}
				continue
			}
			var ok bool
			if key, ok = tok.(string); !ok {
				return fmt.Errorf("object key is %s, want a string", jsonKind(tok))
			}
			var err error
			if tok, err = d.Token(); err != nil {
				return err
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == ']' {
				// The decoder lets ']' close only an array.
				t.nodes[open[len(open)-1]].end = len(t.nodes)
				open = open[:len(open)-1]
				break
			}
			if len(open) >= maxJSONDepth {
				return &errTooDeep{t.flatName(open, key)}
			}
			kind := jsonArray
			if v == '{' {
				kind = jsonObject
			}
			open = append(open, len(t.nodes))
			t.nodes = append(t.nodes, jsonNode{kind: kind, key: key})
		case string:
			t.nodes = append(t.nodes, jsonNode{kind: jsonScalar, key: key, text: v, end: len(t.nodes) + 1})
		case json.Number:
			t.nodes = append(t.nodes, jsonNode{kind: jsonScalar, key: key, text: decimal(v), end: len(t.nodes) + 1})
		case bool:
			t.nodes = append(t.nodes, jsonNode{kind: jsonScalar, key: key, text: strconv.FormatBool(v), end: len(t.nodes) + 1})
		case nil:
			t.nodes = append(t.nodes, jsonNode{kind: jsonNull, key: key, end: len(t.nodes) + 1})
		}
		if len(open) == 0 {
			return nil
		}
		var err error
		if tok, err = d.Token(); err != nil {
			return err
		}
	}
}

// flatName is the flat name of a value about to be read: the member key
// of the innermost of the open containers, or an item of it when it is an
// array.
func (t *jsonTree) flatName(open []int, key string) string {
	var name []byte
	for i, n := range open[1:] {
		name = t.appendName(name, open[i], n)
	}
	if last := open[len(open)-1]; t.nodes[last].kind == jsonArray {
		return string(append(name, "{}"...))
	}
	if len(open) > 1 {
		name = append(name, '.')
	}
	return string(append(name, key...))
}

// appendName appends to the name of parent the part that names its
// member n: ".key" (just "key" under the top object) or "{}".
func (t *jsonTree) appendName(name []byte, parent, n int) []byte {
	if t.nodes[parent].kind == jsonArray {
		return append(name, "{}"...)
	}
	if parent != 0 {
		name = append(name, '.')
	}
	return append(name, t.nodes[n].key...)
}

// flatten stores every value under the top object in b, named the way
// Splunk's JSON extraction names it: parent.child for objects, name{} (a
// multivalue field) for arrays; null stores nothing.
func (t *jsonTree) flatten(b *builder) {
	type container struct{ node, nameLen int }
	open := make([]container, 1, maxJSONDepth+1)
	var name []byte
	for i := 1; i < len(t.nodes); i++ {
		for t.nodes[open[len(open)-1].node].end <= i {
			open = open[:len(open)-1]
		}
		parent := open[len(open)-1]
		name = t.appendName(name[:parent.nameLen], parent.node, i)
		switch t.nodes[i].kind {
		case jsonObject, jsonArray:
			open = append(open, container{i, len(name)})
		case jsonScalar:
			if parent.node == 0 {
				b.add(t.nodes[i].key, t.nodes[i].text) // the name is the key: no copy
			} else {
				b.addName(name, t.nodes[i].text)
			}
		}
	}
}

// parseTree reads one JSON value (of any kind) that is all of data.
func parseTree(data []byte) (*jsonTree, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	t := &jsonTree{}
	tok, err := d.Token()
	if err == nil {
		err = t.read(d, tok)
	}
	if tooDeep := (*errTooDeep)(nil); errors.As(err, &tooDeep) {
		return nil, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
	}
	if err != nil {
		return nil, describeJSONError(err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("data after the JSON value")
	}
	return t, nil
}

// get returns the member named key of object i, or absent.
func (t *jsonTree) get(i int, key string) int {
	if i == absent || t.nodes[i].kind != jsonObject {
		return absent
	}
	for c := i + 1; c < t.nodes[i].end; c = t.nodes[c].end {
		if t.nodes[c].key == key {
			return c
		}
	}
	return absent
}

// kind is node i's kind; an absent node's is null.
func (t *jsonTree) kind(i int) jsonKindOf {
	if i == absent {
		return jsonNull
	}
	return t.nodes[i].kind
}

// scalar returns a scalar's text, or "".
func (t *jsonTree) scalar(i int) string {
	if t.kind(i) != jsonScalar {
		return ""
	}
	return t.nodes[i].text
}
