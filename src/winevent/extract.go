package winevent

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
)

// ExtractXML reads one event's XML as ParseXML does and sets dst[i] to the
// values ParseXML would give field names[i], without building an Event: no
// map, no string per field. It is raw=t's per-event work. The values are
// appended to buf, which is returned grown; dst's slices point into it, so
// they stay valid until buf is reused. dst must have len(names) elements;
// its element type is any list of values ([][]byte or a named one, such as
// the detection's).
func ExtractXML[Values ~[][]byte](raw []byte, names []string, dst []Values, buf []byte) ([]byte, error) {
	x := extractors.Get().(*extractor)
	defer extractors.Put(x)
	x.prepare(names)
	return extract(x, raw, dst, buf)
}

// An Extractor is ExtractXML for one list of names, for a caller that
// reads many events alone (a file, not a pool of sessions): it keeps its
// layout of the names, where ExtractXML takes an extractor from a pool and
// checks the names it was last given on each call. Not safe for
// concurrent use.
type Extractor[Values ~[][]byte] struct{ x extractor }

// NewExtractor returns an Extractor of names (which it copies).
func NewExtractor[Values ~[][]byte](names []string) *Extractor[Values] {
	e := new(Extractor[Values])
	e.x.prepare(names)
	return e
}

// Extract is ExtractXML(raw, names, dst, buf) for the Extractor's names.
func (e *Extractor[Values]) Extract(raw []byte, dst []Values, buf []byte) ([]byte, error) {
	e.x.resetSinks()
	return extract(&e.x, raw, dst, buf)
}

// extract is ExtractXML's work, x prepared for the names.
func extract[Values ~[][]byte](x *extractor, raw []byte, dst []Values, buf []byte) ([]byte, error) {
	// The sinks store the values in buf itself, where finish lists them
	// without copying them again.
	start := len(buf)
	x.arena = buf
	err := x.s.scanEvent(bytes.TrimPrefix(raw, utf8BOM), &x.system, &x.data)
	x.s.release()
	if err != nil {
		err = fmt.Errorf("winevent: XML: %w", err)
	} else {
		err = x.finish()
	}
	buf, x.arena = x.arena, nil // no caller's buffer is kept past the call
	if err != nil {
		return buf[:start], err
	}
	for i := range dst {
		dst[i] = dst[i][:0]
	}
	for _, v := range x.found {
		dst[v.field] = append(dst[v.field], buf[v.start:v.end])
	}
	return buf, nil
}

var extractors = sync.Pool{New: func() any { return new(extractor) }}

// Fields the extractor always keeps, for the metadata and the aliases.
var extractSupport = []string{"EventID", "Name", "SystemTime", "Computer", "Channel"}

type extractor struct {
	s            xmlScanner
	names        []string // the names of the last call: the slots are laid out once per set
	slots        slotNames
	nameSlot     []int // slot of names[i]
	nameKind     []int // how names[i] is found: a nameIs constant
	aliasOf      []int // the slot names[i] copies when the event lacks it, or -1
	wantsTime    bool  // names has _time
	support      [5]int
	system, data slotSink
	found        []foundValue
	arena        []byte // the values found: the caller's buffer, while ExtractXML runs
}

// slotNames finds a field name's slot without hashing: the wanted names
// are few, so a list per name length holds one or two.
type slotNames struct {
	names []string      // per slot
	byLen [][]namedSlot // name length -> its names and their slots
}

type namedSlot struct {
	name string
	slot int
}

func (t *slotNames) add(name string) int {
	for i, n := range t.names {
		if n == name {
			return i
		}
	}
	t.names = append(t.names, name)
	for len(t.byLen) <= len(name) {
		t.byLen = append(t.byLen, nil)
	}
	t.byLen[len(name)] = append(t.byLen[len(name)], namedSlot{name, len(t.names) - 1})
	return len(t.names) - 1
}

func (t *slotNames) find(name []byte) int {
	if len(name) < len(t.byLen) {
		for _, c := range t.byLen[len(name)] {
			// The lengths are equal: the first and last bytes rule out
			// most names before the comparison call.
			n := c.name
			if len(n) == 0 || n[0] == name[0] && n[len(n)-1] == name[len(n)-1] && n == string(name) {
				return c.slot
			}
		}
	}
	return -1
}

// prepare sets up the slots for names (plus extractSupport), reusing the
// layout while callers ask for the same names, as a chunk's records do.
func (x *extractor) prepare(names []string) {
	if x.nameSlot == nil || !slices.Equal(x.names, names) {
		x.names = slices.Clone(names)
		x.slots = slotNames{}
		x.nameSlot = x.nameSlot[:0]
		for _, n := range names {
			x.nameSlot = append(x.nameSlot, x.slots.add(n))
		}
		for i, n := range extractSupport {
			x.support[i] = x.slots.add(n)
		}
		x.slots.add("Data")
		x.nameKind, x.aliasOf = x.nameKind[:0], x.aliasOf[:0]
		for _, n := range names {
			x.nameKind = append(x.nameKind, kindOf(n))
			x.aliasOf = append(x.aliasOf, x.aliasSlot(n))
		}
		x.wantsTime = slices.Contains(names, "_time")
	}
	x.resetSinks()
}

// resetSinks empties the sinks for the next event.
func (x *extractor) resetSinks() {
	x.system.reset(&x.slots, &x.arena)
	x.data.reset(&x.slots, &x.arena)
}

// A slotSink keeps the values of the wanted fields, first value wins,
// Data multivalue, in an arena it shares with the other sink.
type slotSink struct {
	names *slotNames
	slots [][]span // per wanted field, its values in arena
	used  []int    // the slots with values, which reset empties
	arena *[]byte
}

func (k *slotSink) reset(names *slotNames, arena *[]byte) {
	k.names, k.arena = names, arena
	if len(k.slots) != len(names.names) {
		k.slots, k.used = make([][]span, len(names.names)), k.used[:0]
	}
	for _, i := range k.used {
		k.slots[i] = k.slots[i][:0]
	}
	k.used = k.used[:0]
}

func (k *slotSink) slot(name []byte) int {
	if i := k.names.find(name); i >= 0 {
		return i
	}
	if isCleanKey(name) {
		return -1
	}
	// CLEAN_KEYS may turn it into a wanted name.
	return k.names.find([]byte(cleanKey(string(name))))
}

// firstRaw stores value at slot unless the slot has a value already.
func (k *slotSink) firstRaw(slot int, name, value []byte) {
	if slot >= 0 && len(value) > 0 && len(name) > 0 && len(k.slots[slot]) == 0 {
		k.store(slot, value)
	}
}

func (k *slotSink) addData(slot int, value []byte) {
	if slot >= 0 && len(value) > 0 {
		k.store(slot, value)
	}
}

func (k *slotSink) store(i int, value []byte) {
	start := len(*k.arena)
	*k.arena = append(*k.arena, value...)
	if len(k.slots[i]) == 0 {
		k.used = append(k.used, i)
	}
	k.slots[i] = append(k.slots[i], span{start, len(*k.arena)})
}

func (k *slotSink) first(slot int) []byte {
	if s := k.slots[slot]; len(s) > 0 {
		return (*k.arena)[s[0].start:s[0].end]
	}
	return nil
}

// A foundValue is the value of names[field] at arena[start:end].
type foundValue struct{ field, start, end int }

// finish merges the two sinks as finishXML merges its builders, listing
// the values in x.found: the sinks' as they are in the arena, the
// metadata appended to it.
func (x *extractor) finish() error {
	var epoch span
	if systemTime := x.system.first(x.support[2]); len(systemTime) > 0 {
		// As ParseXML: an event whose time cannot be read is an error.
		// Formatting _time costs more than checking: only when asked.
		micros, err := unixMicros(systemTime)
		if err != nil {
			return fmt.Errorf("winevent: XML: TimeCreated SystemTime: %w", err)
		}
		if x.wantsTime {
			epoch.start = len(x.arena)
			x.arena = appendEpoch(x.arena, micros)
			epoch.end = len(x.arena)
		}
	}
	x.found = x.found[:0]
	list := func(field int, s span) {
		x.found = append(x.found, foundValue{field, s.start, s.end})
	}
	add := func(field int, v []byte) {
		start := len(x.arena)
		x.arena = append(x.arena, v...)
		list(field, span{start, len(x.arena)})
	}
	addSlot := func(field int, k *slotSink, slot int) bool {
		for _, s := range k.slots[slot] {
			list(field, s)
		}
		return len(k.slots[slot]) > 0
	}
	addFirst := func(field int, k *slotSink, slot int) bool {
		spans := k.slots[slot]
		if len(spans) > 0 {
			list(field, spans[0])
		}
		return len(spans) > 0
	}
	for i := range x.names {
		switch x.nameKind[i] {
		case nameIsTime:
			if epoch.end > epoch.start {
				list(i, epoch)
			}
			continue
		case nameIsHost:
			addFirst(i, &x.system, x.support[3])
			continue
		case nameIsSource:
			if v := x.system.first(x.support[4]); len(v) > 0 {
				add(i, []byte(sourceFor(string(v))))
			}
			continue
		case nameIsSourcetype:
			add(i, []byte("XmlWinEventLog"))
			continue
		}
		slot := x.nameSlot[i]
		found := addSlot(i, &x.system, slot)
		if x.nameKind[i] == nameIsData {
			found = addSlot(i, &x.data, slot) || found
		} else if !found {
			found = addSlot(i, &x.data, slot)
		}
		if found {
			continue
		}
		// The aliases read the merged fields: System's, else EventData's.
		if alias := x.aliasOf[i]; alias >= 0 && !addFirst(i, &x.system, alias) {
			addFirst(i, &x.data, alias)
		}
	}
	return nil
}

// How finish finds a wanted name's values: the metadata, made from System's
// fields; Data, a multivalue field of both blocks; any other field.
const (
	nameIsField = iota
	nameIsTime
	nameIsHost
	nameIsSource
	nameIsSourcetype
	nameIsData
)

func kindOf(name string) int {
	switch name {
	case "_time":
		return nameIsTime
	case "host":
		return nameIsHost
	case "source":
		return nameIsSource
	case "sourcetype":
		return nameIsSourcetype
	case "Data":
		return nameIsData
	}
	return nameIsField
}

// aliasSlot is the slot of the field an alias copies when the event has no
// field of the alias's own name (see finishXML), or -1.
func (x *extractor) aliasSlot(name string) int {
	switch name {
	case "EventCode":
		return x.support[0] // EventID
	case "SourceName":
		return x.support[1] // Name
	case "TimeCreated":
		return x.support[2] // SystemTime
	}
	return -1
}
