package winevent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// A jsonNode is one JSON value with its object members in the order they
// were written: exports of nested events are mapped by walking them, and a
// Go map would lose the order that decides which of two same-named values
// comes first.
type jsonNode struct {
	kind    jsonKindOf
	text    string      // a string, a number's digits, true or false
	keys    []string    // an object's member names
	members []*jsonNode // an object's member values, or an array's items
}

type jsonKindOf uint8

const (
	jsonNull jsonKindOf = iota
	jsonScalar
	jsonObject
	jsonArray
)

// parseTree reads one JSON value. Nesting is bounded by maxJSONDepth, as
// for the flat reading, so the recursion is too.
func parseTree(data []byte) (*jsonNode, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	n, err := readNode(d, 0)
	if err != nil {
		return nil, describeJSONError(err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("data after the JSON value")
	}
	return n, nil
}

func readNode(d *json.Decoder, depth int) (*jsonNode, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxJSONDepth {
			return nil, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
		}
		n := &jsonNode{kind: jsonArray}
		if t == '{' {
			n.kind = jsonObject
		}
		for d.More() {
			if n.kind == jsonObject {
				key, err := d.Token()
				if err != nil {
					return nil, err
				}
				name, _ := key.(string) // the decoder allows only strings here
				n.keys = append(n.keys, name)
			}
			member, err := readNode(d, depth+1)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member)
		}
		_, err := d.Token() // the closing '}' or ']'
		return n, err
	case string:
		return &jsonNode{kind: jsonScalar, text: t}, nil
	case json.Number:
		return &jsonNode{kind: jsonScalar, text: decimal(t)}, nil
	case bool:
		return &jsonNode{kind: jsonScalar, text: strconv.FormatBool(t)}, nil
	}
	return &jsonNode{kind: jsonNull}, nil
}

// get returns the member named key of an object, or nil.
func (n *jsonNode) get(key string) *jsonNode {
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

// scalar returns a scalar's text, or "".
func (n *jsonNode) scalar() string {
	if n == nil || n.kind != jsonScalar {
		return ""
	}
	return n.text
}
