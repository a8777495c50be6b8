package winevent

import (
	"strings"
	"time"
)

// Nested JSON: an event's XML turned into JSON by a converter, element by
// element. The converters differ only in how they write an element's
// attributes and text, so one walk reads them all and gives the fields the
// names the XML mapping gives them:
//
//	evtx_dump (omerbenamram/evtx)   {"Event":{"#attributes":{..},"System":{"EventID":4688,
//	                                 "TimeCreated":{"#attributes":{"SystemTime":".."}}},
//	                                 "EventData":{"CommandLine":".."}}}
//	xmltodict, Json.NET             {"Event":{"@xmlns":"..","System":{"EventID":{"@Qualifiers":"",
//	(SerializeXmlNode)               "#text":"4688"}},"EventData":{"Data":[{"@Name":"CommandLine",
//	                                 "#text":".."}]}}}
//	xml-js, xml2js                  attributes under "_attributes" or "$", text "_text" or "_"
//	Velociraptor parse_evtx,        {"System":{"EventID":{"Value":1},"TimeCreated":{"SystemTime":
//	golang-evtx                      1603420603.12},"Provider":{"Name":".."}},"EventData":{..}}
//	                                 (attributes as plain members, text as "Value"; Velociraptor
//	                                 has no "Event" wrapper and a top-level rendered "Message")

// isNested reports whether a flattened JSON object is a nested event: it
// has System.EventID, under "Event" or at the top, or a top-level EventID
// beside an EventData or UserData object (the rows of Velociraptor's
// Windows.EventLogs.EvtxHunter: EventTime, Computer, Channel, Provider,
// EventID, EventRecordID, UserSID, EventData, UserData, Message).
func isNested(flat *builder) bool {
	topID, data := false, false
	for _, name := range flat.names {
		if strings.HasPrefix(name, "Event.System.EventID") || strings.HasPrefix(name, "System.EventID") {
			return true
		}
		topID = topID || name == "EventID"
		data = data || strings.HasPrefix(name, "EventData.") || strings.HasPrefix(name, "UserData.")
	}
	return topID && data
}

// huntedSystem are the System values of an EvtxHunter row, under the
// names the artifact gives them, and the names the XML gives.
var huntedSystem = [][2]string{
	{"Provider", "Name"}, {"EventID", "EventID"}, {"EventTime", "SystemTime"}, {"EventRecordID", "EventRecordID"},
	{"Channel", "Channel"}, {"Computer", "Computer"}, {"UserSID", "UserID"},
}

// nestedEvent maps a nested event: System first, then EventData or
// UserData, then the rendered message, with the derived fields of the XML
// mapping.
func nestedEvent(t *jsonTree) (Event, error) {
	root := 0
	if event := t.get(0, "Event"); t.get(event, "System") != absent {
		root = event
	}
	system, data := newBuilder(), newBuilder()
	if t.get(root, "System") != absent {
		t.systemFields(system, t.get(root, "System"))
	} else {
		for _, name := range huntedSystem {
			value := t.scalar(t.get(root, name[0]))
			if name[1] == "SystemTime" {
				value = isoTime(value)
			}
			system.first(name[1], value)
		}
	}
	t.eventDataFields(data, t.get(root, "EventData"))
	t.userDataFields(data, t.get(root, "UserData"))
	if message := t.get(t.get(root, "RenderingInfo"), "Message"); message != absent {
		data.first("Message", t.elementText(message))
	}
	data.first("Message", t.scalar(t.get(root, "Message")))
	return finishXML(system, data)
}

// systemFields stores System's children: a child's attributes under their
// names, then its text under its own name.
func (t *jsonTree) systemFields(system *builder, node int) {
	if t.kind(node) != jsonObject {
		return
	}
	for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
		key := t.nodes[c].key
		if isAttributeKey(key) {
			continue
		}
		t.eachAttribute(c, true, func(name, value string) {
			if name == "SystemTime" {
				value = isoTime(value)
			}
			system.first(cleanKey(name), value)
		})
		system.first(cleanKey(key), t.elementText(c))
	}
}

// eventDataFields stores EventData: <Data Name='X'>v</Data> as X, unnamed
// Data as the multivalue Data. Converters that write named Data as members
// of EventData ("CommandLine": "..") give the same fields; <Binary> is not
// a field, as in the XML mapping.
func (t *jsonTree) eventDataFields(data *builder, node int) {
	if t.kind(node) != jsonObject {
		return
	}
	for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
		switch key := t.nodes[c].key; {
		case isAttributeKey(key) || key == "Binary":
		case key == "Data":
			t.dataElements(data, c)
		default:
			for _, v := range t.elementTexts(c) {
				data.first(cleanKey(key), v)
			}
		}
	}
}

// dataElements stores one <Data> or a list of them.
func (t *jsonTree) dataElements(data *builder, node int) {
	switch t.nodes[node].kind {
	case jsonArray:
		for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
			t.dataElements(data, c)
		}
	case jsonScalar:
		data.add("Data", t.nodes[node].text)
	case jsonObject:
		name := ""
		t.eachAttribute(node, false, func(attr, value string) {
			if attr == "Name" && name == "" {
				name = value
			}
		})
		for _, text := range t.elementTexts(node) {
			if name != "" {
				data.first(cleanKey(name), text) // skipped if it cleans to ""
			} else {
				data.add("Data", text)
			}
		}
	}
}

// userDataFields stores every leaf element of UserData under its name.
func (t *jsonTree) userDataFields(data *builder, node int) {
	switch t.kind(node) {
	case jsonArray:
		for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
			t.userDataFields(data, c)
		}
	case jsonObject:
		for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
			child := &t.nodes[c]
			if isAttributeKey(child.key) {
				continue
			}
			if child.kind == jsonObject && !t.hasElements(c) || child.kind == jsonScalar {
				data.first(cleanKey(child.key), t.elementText(c))
				continue
			}
			if child.kind == jsonArray && child.end > c+1 && t.nodes[c+1].kind == jsonScalar {
				for item := c + 1; item < child.end; item = t.nodes[item].end {
					data.first(cleanKey(child.key), t.nodes[item].text)
				}
				continue
			}
			t.userDataFields(data, c)
		}
	}
}

// The members a converter writes for an element's text.
func isTextKey(key string) bool {
	return key == "#text" || key == "_text" || key == "_" || key == "Value"
}

// The members a converter writes for an element's attributes.
func isAttributeKey(key string) bool {
	return strings.HasPrefix(key, "@") || key == "#attributes" || key == "_attributes" || key == "$"
}

// hasElements reports whether an object has members that are neither text
// nor attributes: child elements.
func (t *jsonTree) hasElements(node int) bool {
	for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
		if key := t.nodes[c].key; !isTextKey(key) && !isAttributeKey(key) {
			return true
		}
	}
	return false
}

// elementText is an element's text: a scalar itself, or an object's text
// member ("" when it has none).
func (t *jsonTree) elementText(node int) string {
	if texts := t.elementTexts(node); len(texts) > 0 {
		return texts[0]
	}
	return ""
}

// elementTexts is elementText for an element whose text a converter wrote
// as a list (evtx_dump's unnamed Data: {"#text":["a","b"]}) or that is a
// list of elements.
func (t *jsonTree) elementTexts(node int) []string {
	switch n := &t.nodes[node]; n.kind {
	case jsonScalar:
		return []string{n.text}
	case jsonArray:
		var texts []string
		for c := node + 1; c < n.end; c = t.nodes[c].end {
			if item := &t.nodes[c]; item.kind == jsonScalar {
				texts = append(texts, item.text)
			} else if text := t.elementText(c); text != "" {
				texts = append(texts, text)
			}
		}
		return texts
	case jsonObject:
		for c := node + 1; c < n.end; c = t.nodes[c].end {
			if isTextKey(t.nodes[c].key) {
				return t.elementTexts(c)
			}
		}
	}
	return nil
}

// eachAttribute calls f for each attribute of an element, in order:
// members of "#attributes", "_attributes" or "$", members named "@name",
// and, when plain is true, scalar members that are not text (the
// converters that write attributes as plain members). Namespace
// declarations are not attributes of the event.
func (t *jsonTree) eachAttribute(node int, plain bool, f func(name, value string)) {
	if t.kind(node) != jsonObject {
		return
	}
	for c := node + 1; c < t.nodes[node].end; c = t.nodes[c].end {
		member := &t.nodes[c]
		switch key := member.key; {
		case key == "#attributes" || key == "_attributes" || key == "$":
			t.eachAttribute(c, true, f)
		case strings.HasPrefix(key, "@"):
			if name := key[1:]; name != "xmlns" && !strings.HasPrefix(name, "xmlns:") {
				f(name, t.scalar(c))
			}
		case plain && member.kind == jsonScalar && !isTextKey(key) && key != "xmlns" && !strings.HasPrefix(key, "xmlns:"):
			f(key, member.text)
		}
	}
}

// isoTime returns a SystemTime as ISO 8601: as it is when it is one, and
// converted from Unix epoch seconds (Velociraptor writes a number, with
// a fraction) when it is not.
func isoTime(value string) string {
	if _, err := time.Parse(time.RFC3339Nano, value); err == nil {
		return value
	}
	if t, ok := parseEpoch(value); ok {
		return t.Format(time.RFC3339Nano)
	}
	return value
}

// parseEpoch reads decimal Unix seconds ("1603420603.128449") exactly,
// without going through a float.
func parseEpoch(value string) (time.Time, bool) {
	whole, frac, _ := strings.Cut(value, ".")
	if whole == "" || len(whole) > 11 || len(frac) > 9 {
		return time.Time{}, false
	}
	var sec, nsec int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		sec = sec*10 + int64(c-'0')
	}
	for i := 0; i < 9; i++ {
		nsec *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			nsec += int64(c - '0')
		}
	}
	return time.Unix(sec, nsec).UTC(), true
}
