package hardened

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"

	"bitsscore/src/detect"
)

// A resultMemo remembers the verdicts of recent events. Process creations
// repeat — services, agents and scheduled tasks run the same command line
// from the same parent on host after host — and this mode's outputs are a
// function of its inputs alone, so a remembered event is answered exactly
// by a hash and a comparison instead of an analysis.
//
// It is direct-mapped (a new event takes its slot from whatever held it),
// its copies live in one arena that is emptied with every slot when full,
// and an event is copied only when it comes back: the first time its slot
// keeps only its hash, so a stream where nothing repeats costs one hash an
// event. Memory is fixed whatever the events.
type resultMemo struct {
	seed  maphash.Seed
	h     maphash.Hash
	hdr   []byte // the inputs' counts and lengths, hashed in one piece
	slots []resultSlot
	arena []byte
	// values holds the outputs of a hit, slices of the arena.
	values [numOwnOutputs][][]byte
	// hitCount counts the events answered, for tests.
	hitCount int
}

type resultSlot struct {
	hash uint64
	// key is the event's inputs, serialised, at arena[keyStart:valStart];
	// its outputs follow, to arena[end].
	keyStart, valStart, end int
	kept                    bool // false: only the hash is known
}

// Sizes: 4,096 slots, 1 MiB of events and outputs; an event whose inputs
// are over a sixteenth of that is not remembered.
const (
	resultMemoSlots = 4096
	resultMemoArena = 1 << 20
	maxMemoInput    = resultMemoArena / 16
)

func newResultMemo() *resultMemo {
	m := &resultMemo{seed: maphash.MakeSeed(), slots: make([]resultSlot, resultMemoSlots), arena: make([]byte, 0, resultMemoArena)}
	m.h.SetSeed(m.seed)
	return m
}

// hash returns the hash of the inputs, and false when they are too large
// to remember. The counts and lengths are hashed in one piece, then each
// value: a few calls, however many inputs are null.
func (m *resultMemo) hash(in []detect.Values) (uint64, bool) {
	hdr := m.hdr[:0]
	total := 0
	for _, vs := range in {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(vs)))
		for _, v := range vs {
			hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(v)))
			total += len(v)
		}
	}
	m.hdr = hdr
	if total > maxMemoInput {
		return 0, false
	}
	m.h.Reset()
	m.h.Write(hdr)
	for _, vs := range in {
		for _, v := range vs {
			m.h.Write(v)
		}
	}
	return m.h.Sum64(), true
}

func (m *resultMemo) slot(hash uint64) *resultSlot { return &m.slots[hash&(resultMemoSlots-1)] }

// lookup fills own with the remembered outputs of the inputs in, and
// reports whether it had them.
func (m *resultMemo) lookup(hash uint64, in []detect.Values, own []detect.Values) bool {
	s := m.slot(hash)
	if !s.kept || s.hash != hash || !keyEqual(m.arena[s.keyStart:s.valStart], in) {
		return false
	}
	b := m.arena[s.valStart:s.end]
	for k := range m.values {
		var count uint32
		count, b = binary.LittleEndian.Uint32(b), b[4:]
		vals := m.values[k][:0]
		for range count {
			var n uint32
			n, b = binary.LittleEndian.Uint32(b), b[4:]
			vals = append(vals, b[:n:n])
			b = b[n:]
		}
		m.values[k] = vals
		own[k] = nonEmpty(vals)
	}
	m.hitCount++
	return true
}

// keyEqual reports whether key is the serialisation of in.
func keyEqual(key []byte, in []detect.Values) bool {
	for _, vs := range in {
		if len(key) < 4 || binary.LittleEndian.Uint32(key) != uint32(len(vs)) {
			return false
		}
		key = key[4:]
		for _, v := range vs {
			if len(key) < 4+len(v) || binary.LittleEndian.Uint32(key) != uint32(len(v)) || !bytes.Equal(key[4:4+len(v)], v) {
				return false
			}
			key = key[4+len(v):]
		}
	}
	return len(key) == 0
}

// store remembers own as the outputs of in: the first time a hash comes,
// only the hash; the second time, the event and its outputs.
func (m *resultMemo) store(hash uint64, in []detect.Values, own []detect.Values) {
	s := m.slot(hash)
	if s.hash != hash {
		*s = resultSlot{hash: hash}
		return
	}
	size := 0
	for _, vs := range in {
		size += 4
		for _, v := range vs {
			size += 4 + len(v)
		}
	}
	for _, vs := range own {
		size += 4
		for _, v := range vs {
			size += 4 + len(v)
		}
	}
	if size > cap(m.arena)/4 {
		return
	}
	if len(m.arena)+size > cap(m.arena) {
		m.arena = m.arena[:0]
		clear(m.slots)
		s.hash = hash
	}
	start := len(m.arena)
	a := m.arena
	for _, vs := range in {
		a = binary.LittleEndian.AppendUint32(a, uint32(len(vs)))
		for _, v := range vs {
			a = binary.LittleEndian.AppendUint32(a, uint32(len(v)))
			a = append(a, v...)
		}
	}
	valStart := len(a)
	for _, vs := range own {
		a = binary.LittleEndian.AppendUint32(a, uint32(len(vs)))
		for _, v := range vs {
			a = binary.LittleEndian.AppendUint32(a, uint32(len(v)))
			a = append(a, v...)
		}
	}
	m.arena = a
	*s = resultSlot{hash: hash, keyStart: start, valStart: valStart, end: len(a), kept: true}
}
