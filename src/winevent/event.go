package winevent

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event is one Windows event's fields as Splunk's add-ons extract them.
type Event struct {
	Fields map[string][]string // field name -> values (several for multivalue)
	Names  []string            // field names in first-seen order, for stable output
}

// Get returns the first value of the named field, or "" when it is absent.
func (e Event) Get(name string) string {
	if values := e.Fields[name]; len(values) > 0 {
		return values[0]
	}
	return ""
}

// Parse reads one event, XML or JSON, chosen by its first non-blank byte.
func Parse(line []byte) (Event, error) {
	trimmed := bytes.TrimLeft(line, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return Event{}, errors.New("winevent: empty event")
	}
	switch trimmed[0] {
	case '<':
		return ParseXML(line)
	case '{':
		return ParseJSON(line)
	}
	return Event{}, fmt.Errorf("winevent: event starts with %q: want '<' (Windows event XML) or '{' (JSON)", firstRune(trimmed))
}

func firstRune(b []byte) string {
	s := string(b)
	for _, r := range s {
		return string(r)
	}
	return ""
}

// utf8BOM may start a line exported by Windows tools; neither decoder
// accepts it.
var utf8BOM = []byte("\ufeff")

// metadataNames are the index-time fields every event gets, in output order.
var metadataNames = [...]string{"_time", "host", "source", "sourcetype"}

// builder accumulates an Event. Extracted fields follow Splunk's MV_ADD=false
// rule (first value wins) unless added as multivalue; empty values are never
// stored (KEEP_EMPTY_VALS=false).
type builder struct {
	fields map[string][]string
	names  []string
}

func newBuilder() *builder {
	return &builder{fields: make(map[string][]string)}
}

// first stores value under name unless the name already has a value.
func (b *builder) first(name, value string) {
	if name == "" || value == "" {
		return
	}
	if _, ok := b.fields[name]; ok {
		return
	}
	b.fields[name] = []string{value}
	b.names = append(b.names, name)
}

// add appends value to name's values, making it multivalue when repeated.
func (b *builder) add(name, value string) {
	if name == "" || value == "" {
		return
	}
	if _, ok := b.fields[name]; !ok {
		b.names = append(b.names, name)
	}
	b.fields[name] = append(b.fields[name], value)
}

// finish adds the derived fields and returns the Event: the metadata fields
// first (overriding any extracted field of the same name, as index-time
// metadata does), then the extracted fields in first-seen order, then the
// aliases that were not already extracted.
func (b *builder) finish(metadata map[string]string, aliases [][2]string) Event {
	e := Event{Fields: make(map[string][]string, len(b.fields)+len(metadata)+len(aliases))}
	for _, name := range metadataNames {
		if value := metadata[name]; value != "" {
			e.Fields[name] = []string{value}
			e.Names = append(e.Names, name)
		}
	}
	for _, name := range b.names {
		if _, isMetadata := e.Fields[name]; isMetadata {
			continue
		}
		e.Fields[name] = b.fields[name]
		e.Names = append(e.Names, name)
	}
	for _, alias := range aliases {
		name, value := alias[0], alias[1]
		if _, ok := e.Fields[name]; ok || value == "" {
			continue
		}
		e.Fields[name] = []string{value}
		e.Names = append(e.Names, name)
	}
	return e
}

// sourceFor is the source a Windows forwarder gives an event rendered as XML.
func sourceFor(channel string) string {
	if channel == "" {
		return ""
	}
	return "XmlWinEventLog:" + channel
}

// epochSeconds renders an ISO 8601 / RFC 3339 time as Splunk's _time: Unix
// seconds with microseconds, Splunk's finest subsecond resolution.
func epochSeconds(iso string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, iso)
	if err != nil {
		return "", fmt.Errorf("time %q is not ISO 8601 (RFC 3339)", iso)
	}
	micros := t.UnixMicro()
	sign := ""
	if micros < 0 {
		sign, micros = "-", -micros
	}
	return fmt.Sprintf("%s%d.%06d", sign, micros/1e6, micros%1e6), nil
}

// cleanKey applies Splunk's CLEAN_KEYS rule to an extracted field name:
// every character outside [A-Za-z0-9] becomes '_', then leading '_' and
// digits are dropped. It returns "" for a name with nothing left.
func cleanKey(name string) string {
	var sb strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('_')
		}
	}
	return strings.TrimLeft(sb.String(), "_0123456789")
}
