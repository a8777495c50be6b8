package winevent

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
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
//
// Fields are kept in slices, found by a linear search while there are few
// of them (a Windows event has 20 to 40) and through a map built once there
// are many: an event costs no map until the Event itself is made.
//
// Values read from a buffer (firstBytes, addBytes) are gathered in one
// arena and become strings together in settle, one allocation for all of
// them; single values share one backing array the same way.
type builder struct {
	names  []string
	values [][]string
	index  map[string]int // name -> position, once len(names) > linearSearchLimit

	arena   []byte
	pending []pendingValue // values in arena, written into values by settle
	single  []string       // backing array of one-value fields
}

// A pendingValue is values[field][slot] = arena[start:end], once settled.
type pendingValue struct{ field, slot, start, end int }

const linearSearchLimit = 48

func newBuilder() *builder { return &builder{} }

// reset empties the builder for the next event, keeping its buffers. The
// single-value array is not reused: the last Event holds slices of it.
func (b *builder) reset() {
	clear(b.names)
	clear(b.values)
	b.names, b.values, b.index = b.names[:0], b.values[:0], nil
	b.arena, b.pending, b.single = b.arena[:0], b.pending[:0], nil
}

// find returns the position of name, or -1.
func (b *builder) find(name string) int { return findField(b, name) }

// findField is find for a name in a string or in a buffer, which neither
// look-up copies.
func findField[Name string | []byte](b *builder, name Name) int {
	if b.index != nil {
		if i, ok := b.index[string(name)]; ok {
			return i
		}
		return -1
	}
	for i, n := range b.names {
		if n == string(name) {
			return i
		}
	}
	return -1
}

// insertOne appends a new field with one value.
func (b *builder) insertOne(name, value string) {
	if len(b.single) == cap(b.single) {
		b.single = make([]string, 0, max(48, 2*cap(b.single)))
	}
	b.single = append(b.single, value)
	n := len(b.single)
	// Capacity one: an added value copies rather than writes over the
	// next field's.
	b.insert(name, b.single[n-1:n:n])
}

// insert appends a new field.
func (b *builder) insert(name string, values []string) {
	b.names = append(b.names, name)
	b.values = append(b.values, values)
	switch n := len(b.names); {
	case b.index != nil:
		b.index[name] = n - 1
	case n > linearSearchLimit:
		b.index = make(map[string]int, 2*n)
		for i, name := range b.names {
			b.index[name] = i
		}
	}
}

// first stores value under name unless the name already has a value.
func (b *builder) first(name, value string) {
	if name == "" || value == "" || b.find(name) >= 0 {
		return
	}
	b.insertOne(name, value)
}

// firstBytes is first for a value still in a reader's buffer: it is copied
// into the arena only when stored, and readable after settle.
func (b *builder) firstBytes(name string, value []byte) {
	if name == "" || len(value) == 0 || b.find(name) >= 0 {
		return
	}
	b.insertOne(name, "")
	b.pend(len(b.names)-1, 0, value)
}

func (b *builder) pend(field, slot int, value []byte) {
	start := len(b.arena)
	b.arena = append(b.arena, value...)
	b.pending = append(b.pending, pendingValue{field, slot, start, len(b.arena)})
}

// settle turns the values gathered in the arena into strings.
func (b *builder) settle() {
	if len(b.pending) == 0 {
		return
	}
	arena := string(b.arena)
	for _, p := range b.pending {
		b.values[p.field][p.slot] = arena[p.start:p.end]
	}
	b.arena, b.pending = b.arena[:0], b.pending[:0]
}

// add appends value to name's values, making it multivalue when repeated.
func (b *builder) add(name, value string) {
	if name == "" || value == "" {
		return
	}
	if i := b.find(name); i >= 0 {
		b.values[i] = append(b.values[i], value)
		return
	}
	b.insertOne(name, value)
}

// addName is add for a name still in a buffer: the name is copied only
// when it is new.
func (b *builder) addName(name []byte, value string) {
	if len(name) == 0 || value == "" {
		return
	}
	if i := findField(b, name); i >= 0 {
		b.values[i] = append(b.values[i], value)
		return
	}
	b.insertOne(string(name), value)
}

// addBytes is add for a value still in a reader's buffer, readable after
// settle.
func (b *builder) addBytes(name string, value []byte) {
	if len(value) == 0 {
		return
	}
	i := b.find(name)
	if i < 0 {
		b.insertOne(name, "")
		i = len(b.names) - 1
	} else {
		b.values[i] = append(b.values[i], "")
	}
	b.pend(i, len(b.values[i])-1, value)
}

// value is the first value extracted under name, or "".
func (b *builder) value(name string) string {
	if i := b.find(name); i >= 0 {
		return b.values[i][0]
	}
	return ""
}

// finish adds the derived fields and returns the Event: the metadata fields
// (values in metadataNames' order) first, overriding any extracted field of
// the same name, as index-time metadata does, then the extracted fields in
// first-seen order, then the aliases that were not already extracted.
func (b *builder) finish(metadata [len(metadataNames)]string, aliases [][2]string) Event {
	n := len(b.names) + len(metadata) + len(aliases)
	e := Event{Fields: make(map[string][]string, n), Names: make([]string, 0, n)}
	for i, name := range metadataNames {
		if value := metadata[i]; value != "" {
			e.Fields[name] = []string{value}
			e.Names = append(e.Names, name)
		}
	}
	for i, name := range b.names {
		if _, isMetadata := e.Fields[name]; isMetadata {
			continue
		}
		e.Fields[name] = b.values[i]
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
	micros, err := unixMicros([]byte(iso))
	if err != nil {
		t, ok := msDate(iso)
		if !ok {
			return "", err
		}
		micros = t.UnixMicro()
	}
	return string(appendEpoch(nil, micros)), nil
}

// msDate reads a time as Windows PowerShell's ConvertTo-Json (and .NET's
// DataContractJsonSerializer) writes a DateTime: /Date(ms)/, milliseconds
// since the Unix epoch, optionally followed by the writer's UTC offset
// (+hhmm), which does not change the instant.
func msDate(s string) (time.Time, bool) {
	inner, prefixed := strings.CutPrefix(s, "/Date(")
	inner, suffixed := strings.CutSuffix(inner, ")/")
	if !prefixed || !suffixed {
		return time.Time{}, false
	}
	if i := strings.IndexAny(inner[min(1, len(inner)):], "+-"); i >= 0 {
		inner = inner[:i+1]
	}
	ms, err := strconv.ParseInt(inner, 10, 64)
	if err != nil || ms < -62135596800000 || ms > 253402300799999 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// unixMicros reads an ISO 8601 / RFC 3339 time as microseconds since the
// epoch (truncated, as time.Time.UnixMicro does). The form Windows writes,
// 2021-02-22T23:07:21.043356Z, is read directly; any other goes to
// time.Parse, which reads the rest of RFC 3339 or refuses.
func unixMicros(iso []byte) (int64, error) {
	if micros, ok := utcMicros(iso); ok {
		return micros, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(iso))
	if err != nil {
		return 0, fmt.Errorf("time %q is not ISO 8601 (RFC 3339)", iso)
	}
	return t.UnixMicro(), nil
}

// utcMicros reads YYYY-MM-DDTHH:MM:SSZ with 0 to 9 decimals of seconds
// after a '.', checking each number's range as time.Parse does, and gives
// the same instant. It reports false for anything else.
func utcMicros(b []byte) (int64, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") || b[len(b)-1] != 'Z' ||
		b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	ok := true
	number := func(digits []byte, lo, hi int64) int64 {
		var n int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int64(c-'0')
		}
		if n < lo || n > hi {
			ok = false
		}
		return n
	}
	year := number(b[0:4], 0, 9999)
	month := number(b[5:7], 1, 12)
	day := number(b[8:10], 1, 31)
	hour := number(b[11:13], 0, 23)
	minute := number(b[14:16], 0, 59)
	second := number(b[17:19], 0, 59)
	if !ok || day > daysIn(month, year) {
		return 0, false
	}
	var nanos int64
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' {
			return 0, false
		}
		nanos = number(frac[1:], 0, 999_999_999)
		for range 10 - len(frac) {
			nanos *= 10
		}
		if !ok {
			return 0, false
		}
	}
	seconds := daysSinceEpoch(year, month, day)*86400 + hour*3600 + minute*60 + second
	return seconds*1_000_000 + nanos/1000, true
}

func daysIn(month, year int64) int64 {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysSinceEpoch is the number of days from 1970-01-01 to the date, in
// the proleptic Gregorian calendar (as package time counts): the years
// are counted from March, so that the leap day ends a year.
func daysSinceEpoch(year, month, day int64) int64 {
	if month <= 2 {
		year--
	}
	era := year / 400
	if year < 0 && year%400 != 0 {
		era-- // floor division: year 0 and -1 are in different eras
	}
	yearOfEra := year - era*400                                         // [0, 399]
	dayOfYear := (153*((month+9)%12)+2)/5 + day - 1                     // [0, 365], from March 1st
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear // [0, 146096]
	return era*146097 + dayOfEra - 719468
}

// appendEpoch appends a time in microseconds since the epoch as _time is
// written: seconds with six decimals. strconv, not fmt: this runs once
// per event scored.
func appendEpoch(dst []byte, micros int64) []byte {
	if micros < 0 {
		dst, micros = append(dst, '-'), -micros
	}
	dst = strconv.AppendInt(dst, micros/1e6, 10)
	point := len(dst)
	dst = strconv.AppendInt(dst, 1e6+micros%1e6, 10) // "1" and six digits
	dst[point] = '.'
	return dst
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
