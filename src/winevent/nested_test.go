package winevent

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// xmlElement is one element of an event, read with encoding/xml, for
// writing the event again as a converter would.
type xmlElement struct {
	name     string
	attrs    []xml.Attr
	text     strings.Builder
	children []*xmlElement
}

func readXMLElement(tb testing.TB, event []byte) *xmlElement {
	tb.Helper()
	d := xml.NewDecoder(bytes.NewReader(event))
	var stack []*xmlElement
	for {
		tok, err := d.Token()
		if err != nil {
			tb.Fatalf("fixture event: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			el := &xmlElement{name: tk.Name.Local, attrs: tk.Attr}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, el)
			}
			stack = append(stack, el)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tk)
			}
		case xml.EndElement:
			if len(stack) == 1 {
				return stack[0]
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// writeXmltodict writes an element's value as xmltodict (and Json.NET's
// SerializeXmlNode) do: a string for a bare element, null for an empty
// one, otherwise an object of "@attribute" members, the children (siblings
// of one name as one array) and "#text".
func writeXmltodict(b *bytes.Buffer, el *xmlElement) {
	text := el.text.String()
	if len(el.children) > 0 {
		text = strings.TrimSpace(text)
	}
	if len(el.attrs) == 0 && len(el.children) == 0 {
		if text == "" {
			b.WriteString("null")
		} else {
			writeJSONString(b, text)
		}
		return
	}
	b.WriteByte('{')
	comma := func() {
		if b.Bytes()[b.Len()-1] != '{' {
			b.WriteByte(',')
		}
	}
	for _, a := range el.attrs {
		name := a.Name.Local
		if a.Name.Space == "xmlns" {
			name = "xmlns:" + name
		}
		comma()
		writeJSONString(b, "@"+name)
		b.WriteByte(':')
		writeJSONString(b, a.Value)
	}
	written := map[string]bool{}
	for _, c := range el.children {
		if written[c.name] {
			continue
		}
		written[c.name] = true
		var same []*xmlElement
		for _, d := range el.children {
			if d.name == c.name {
				same = append(same, d)
			}
		}
		comma()
		writeJSONString(b, c.name)
		b.WriteByte(':')
		if len(same) == 1 {
			writeXmltodict(b, c)
			continue
		}
		b.WriteByte('[')
		for i, d := range same {
			if i > 0 {
				b.WriteByte(',')
			}
			writeXmltodict(b, d)
		}
		b.WriteByte(']')
	}
	if text != "" {
		comma()
		b.WriteString(`"#text":`)
		writeJSONString(b, text)
	}
	b.WriteByte('}')
}

func writeJSONString(b *bytes.Buffer, s string) {
	quoted, _ := json.Marshal(s)
	b.Write(quoted)
}

// nestedFixtureEvents returns the real XML events written as xmltodict
// does, one JSON line each.
func nestedFixtureEvents(tb testing.TB) [][]byte {
	var events [][]byte
	for _, line := range allXMLFixtureEvents(tb) {
		var b bytes.Buffer
		b.WriteString(`{"Event":`)
		writeXmltodict(&b, readXMLElement(tb, line))
		b.WriteByte('}')
		events = append(events, b.Bytes())
	}
	return events
}

// Every real XML event written as xmltodict does reads as the same Event
// as the XML itself: the nested reading loses, renames or adds nothing.
func TestXmltodictGivesTheXMLEvent(t *testing.T) {
	xmlEvents, nested := allXMLFixtureEvents(t), nestedFixtureEvents(t)
	for i := range xmlEvents {
		want, err := ParseXML(xmlEvents[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseJSON(nested[i])
		if err != nil {
			t.Fatalf("%s: %v", clip(string(nested[i])), err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-XML +xmltodict):\n%s", clip(string(nested[i])), diff)
		}
	}
}

// BenchmarkParseJSONNested is ParseJSON over the 24 real XML events as
// xmltodict writes them, in turn; MB/s is of their mean size.
func BenchmarkParseJSONNested(b *testing.B) {
	events := nestedFixtureEvents(b)
	total := 0
	for _, e := range events {
		total += len(e)
	}
	b.SetBytes(int64(total / len(events)))
	i := 0
	for b.Loop() {
		if _, err := ParseJSON(events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkParseJSONManyValues is ParseJSON of one event of 10,000
// EventData values, named, written flat and nested (xmltodict): the cost
// of the nested reading per value, against the flat one.
func BenchmarkParseJSONManyValues(b *testing.B) {
	const values = 10000
	var flat, nested bytes.Buffer
	flat.WriteString(`{"EventID":4688,"Channel":"Security"`)
	nested.WriteString(`{"Event":{"System":{"EventID":"4688","Channel":"Security"},"EventData":{"Data":[`)
	for i := range values {
		if i > 0 {
			nested.WriteByte(',')
		}
		fmt.Fprintf(&flat, `,"Field%d":"value %d"`, i, i)
		fmt.Fprintf(&nested, `{"@Name":"Field%d","#text":"value %d"}`, i, i)
	}
	flat.WriteString("}")
	nested.WriteString("]}}}")
	for _, tc := range []struct {
		name  string
		event []byte
	}{{"flat", flat.Bytes()}, {"nested", nested.Bytes()}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.event)))
			for b.Loop() {
				e, err := ParseJSON(tc.event)
				if err != nil {
					b.Fatal(err)
				}
				if got := e.Get(fmt.Sprintf("Field%d", values-1)); got != fmt.Sprintf("value %d", values-1) {
					b.Fatalf("last field = %q", got)
				}
			}
		})
	}
}
