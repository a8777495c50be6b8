package winevent

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// referenceParseXML is the encoding/xml reading of one event that ParseXML's
// scanner replaced: kept as the reference the scanner is tested against
// (TestScannerMatchesReference, FuzzScannerMatchesReference). encoding/xml
// recurses without a depth limit and costs tens of allocations per element,
// which is why it is not used outside tests.
func referenceParseXML(line []byte) (Event, error) {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(line, utf8BOM)))
	// Strict (the default) rejects undefined entities such as &nbsp; and
	// unbalanced tags, so malformed input is an error rather than a guess.
	root, err := rootElement(d)
	if err != nil {
		return Event{}, fmt.Errorf("winevent: XML: %w", err)
	}
	if root.Name.Local != "Event" {
		return Event{}, fmt.Errorf("winevent: XML: root element is <%s>, want <Event>", root.Name.Local)
	}

	// System and EventData go to separate builders because Splunk runs the
	// System transforms first: on a name clash System wins wherever the
	// blocks sit in the document.
	system, data := newBuilder(), newBuilder()
	if err := readEvent(d, system, data); err != nil {
		return Event{}, fmt.Errorf("winevent: XML: %w", err)
	}
	if err := expectEnd(d); err != nil {
		return Event{}, fmt.Errorf("winevent: XML: %w", err)
	}

	return finishXML(system, data)
}

// rootElement skips the prolog (XML declaration, comments, blank text) and
// returns the first start element.
func rootElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("no root element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, fmt.Errorf("text %q before the root element", clip(string(t)))
			}
		case xml.Directive:
			// A DOCTYPE could declare entities the decoder will not expand;
			// Windows never writes one, so refuse rather than half-parse.
			return xml.StartElement{}, errors.New("unexpected <!...> directive before the root element")
		}
	}
}

// expectEnd checks that nothing but blank text, comments and processing
// instructions follows the root element.
func expectEnd(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("second root element <%s> after </Event>: one event per line", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return fmt.Errorf("text %q after </Event>", clip(string(t)))
			}
		case xml.Directive:
			return errors.New("unexpected <!...> directive after </Event>")
		}
	}
}

// readEvent walks the children of <Event> up to its end tag.
func readEvent(d *xml.Decoder, system, data *builder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return unexpectedEOF(err, "Event")
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			switch t.Name.Local {
			case "System":
				err = readSystem(d, system)
			case "EventData":
				err = readEventData(d, data)
			case "UserData":
				err = readLeaves(d, data, "UserData")
			case "RenderingInfo":
				err = readRenderingInfo(d, data)
			default:
				err = d.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

// readSystem extracts every attribute of <System>'s children under the
// attribute's name and the text of each child under the child's name, as
// Splunk_TA_windows' system_props_xml_attributes and system_props_xml_kv do.
func readSystem(d *xml.Decoder, b *builder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return unexpectedEOF(err, "System")
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			for _, attr := range t.Attr {
				if isNamespaceDecl(attr) {
					continue
				}
				b.first(cleanKey(attr.Name.Local), attr.Value)
			}
			text, hasChildren, err := readText(d, t.Name.Local)
			if err != nil {
				return err
			}
			if !hasChildren {
				b.first(cleanKey(t.Name.Local), text)
			}
		}
	}
}

// readEventData extracts <Data Name='X'>v</Data> as X=v and every unnamed
// <Data>v</Data> as one more value of the multivalue field Data.
func readEventData(d *xml.Decoder, b *builder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return unexpectedEOF(err, "EventData")
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "Data" {
				// <Binary> and anything else: the add-on extracts none.
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			text, _, err := readText(d, "Data")
			if err != nil {
				return err
			}
			switch name := attrValue(t, "Name"); {
			case name == "":
				b.add("Data", text)
			default:
				b.first(cleanKey(name), text) // skipped if it cleans to ""
			}
		}
	}
}

// readLeaves extracts every element below the current one that has no child
// elements, under its own name (UserData's event-specific layout).
func readLeaves(d *xml.Decoder, b *builder, parent string) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return unexpectedEOF(err, parent)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := readLeafOrBranch(d, b, t); err != nil {
				return err
			}
		}
	}
}

func readLeafOrBranch(d *xml.Decoder, b *builder, start xml.StartElement) error {
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return unexpectedEOF(err, start.Name.Local)
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			// A branch: its text between children is layout, not a value.
			if err := readLeafOrBranch(d, b, t); err != nil {
				return err
			}
			return readLeaves(d, b, start.Name.Local)
		case xml.EndElement:
			b.first(cleanKey(start.Name.Local), text.String())
			return nil
		}
	}
}

// readRenderingInfo extracts the rendered <Message>, which forwarders add
// when they render text; the other rendered strings duplicate System.
func readRenderingInfo(d *xml.Decoder, b *builder) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return unexpectedEOF(err, "RenderingInfo")
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			text, _, err := readText(d, t.Name.Local)
			if err != nil {
				return err
			}
			if t.Name.Local == "Message" {
				b.first("Message", text)
			}
		}
	}
}

// readText consumes the rest of an element and returns its text, including
// the text of any nested elements, and whether it had child elements.
func readText(d *xml.Decoder, element string) (text string, hasChildren bool, err error) {
	var sb strings.Builder
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return "", false, unexpectedEOF(err, element)
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.StartElement:
			hasChildren = true
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return sb.String(), hasChildren, nil
}

func attrValue(start xml.StartElement, name string) string {
	for _, attr := range start.Attr {
		if attr.Name.Local == name && attr.Name.Space == "" {
			return attr.Value
		}
	}
	return ""
}

func isNamespaceDecl(attr xml.Attr) bool {
	return attr.Name.Space == "xmlns" || attr.Name.Space == "" && attr.Name.Local == "xmlns"
}

// unexpectedEOF names the element left open when the input ends early; other
// decoder errors (syntax, entities, mismatched tags) already say what is
// wrong and where.
func unexpectedEOF(err error, element string) error {
	var syntaxErr *xml.SyntaxError
	if err == io.EOF || errors.As(err, &syntaxErr) && syntaxErr.Msg == "unexpected EOF" {
		return fmt.Errorf("input ends inside <%s>", element)
	}
	return err
}
