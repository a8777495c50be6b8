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
//
// The events it answers are also numbered, so that a caller can encode
// the outputs of one such event once (see Detector.Verdict): a slot is
// numbered the first time it answers after ForgetVerdicts, and a number
// is not given twice until the next ForgetVerdicts. A slot that takes
// another event loses its number, so a number always stands for the
// outputs of the event it was given to.
type resultMemo struct {
	seed  maphash.Seed
	key   []byte // the last hashed event's inputs, serialised
	slots []resultSlot
	// arena holds the events and outputs, resultMemoArena bytes, made
	// when the first is kept: a process that never scores does not pay
	// for it.
	arena []byte
	// values holds the outputs of a hit, slices of the arena.
	values [numOwnOutputs][][]byte
	// hitCount counts the events answered, for tests.
	hitCount int

	// lastHit is the slot of the last event answered; epoch counts the
	// ForgetVerdicts calls (from 1, so a zero slot is never numbered), and
	// numbered the slots numbered since the last.
	lastHit  *resultSlot
	epoch    uint64
	numbered int
}

type resultSlot struct {
	hash uint64
	// key is the event's inputs, serialised, at arena[keyStart:valStart];
	// its outputs follow, to arena[end].
	keyStart, valStart, end int
	kept                    bool // false: only the hash is known
	// number is the slot's number when epoch is the memo's.
	number int
	epoch  uint64
}

// Sizes: 4,096 slots, 1 MiB of events and outputs; an event whose inputs
// are over a sixteenth of that is not remembered.
const (
	resultMemoSlots = 4096
	resultMemoArena = 1 << 20
	maxMemoInput    = resultMemoArena / 16
)

// rememberedVerdicts is how many answered events are numbered between two
// ForgetVerdicts: a caller keeps the encoded outputs of each (the command,
// for one chunk), and an event answered after the last number is taken
// has no verdict.
const rememberedVerdicts = 1024

func newResultMemo() *resultMemo {
	return &resultMemo{seed: maphash.MakeSeed(), slots: make([]resultSlot, resultMemoSlots), epoch: 1}
}

// forgetVerdicts starts the numbering again.
func (m *resultMemo) forgetVerdicts() {
	m.epoch++
	m.numbered = 0
}

// lastHitNumber returns the number of the event the last lookup answered,
// numbering it if this is its first answer since forgetVerdicts, or -1
// when every number is taken.
func (m *resultMemo) lastHitNumber() int {
	s := m.lastHit
	if s.epoch != m.epoch {
		if m.numbered == rememberedVerdicts {
			return -1
		}
		s.number, s.epoch = m.numbered, m.epoch
		m.numbered++
	}
	return s.number
}

// hash serialises the inputs into m.key (each input's count of values,
// then each value's length and bytes) and returns its hash, or false when
// the inputs are too large to remember. One copy and one hash call cost
// less than a hash call per value, and the key then compares in one piece.
func (m *resultMemo) hash(in []detect.Values) (uint64, bool) {
	key := m.key[:0]
	for _, vs := range in {
		key = binary.LittleEndian.AppendUint32(key, uint32(len(vs)))
		for _, v := range vs {
			if len(key)+len(v) > maxMemoInput {
				return 0, false
			}
			key = binary.LittleEndian.AppendUint32(key, uint32(len(v)))
			key = append(key, v...)
		}
	}
	m.key = key
	return maphash.Bytes(m.seed, key), true
}

func (m *resultMemo) slot(hash uint64) *resultSlot { return &m.slots[hash&(resultMemoSlots-1)] }

// lookup fills own with the remembered outputs of the event hash last
// serialised, and reports whether it had them.
func (m *resultMemo) lookup(hash uint64, own []detect.Values) bool {
	s := m.slot(hash)
	if !s.kept || s.hash != hash || !bytes.Equal(m.arena[s.keyStart:s.valStart], m.key) {
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
	m.lastHit = s
	return true
}

// store remembers own as the outputs of the event hash last serialised:
// the first time a hash comes, only the hash; the second time, the event
// and its outputs.
func (m *resultMemo) store(hash uint64, own []detect.Values) {
	s := m.slot(hash)
	if s.hash != hash {
		*s = resultSlot{hash: hash}
		return
	}
	size := len(m.key)
	for _, vs := range own {
		size += 4
		for _, v := range vs {
			size += 4 + len(v)
		}
	}
	if size > resultMemoArena/4 {
		return
	}
	if m.arena == nil {
		m.arena = make([]byte, 0, resultMemoArena)
	}
	if len(m.arena)+size > resultMemoArena {
		m.arena = m.arena[:0]
		clear(m.slots)
		s.hash = hash
	}
	start := len(m.arena)
	a := append(m.arena, m.key...)
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
