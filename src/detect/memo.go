package detect

import (
	"bytes"
	"hash/maphash"
)

// A lineMemo remembers the flags of recent command lines. Command lines
// repeat: most process creations an indexer sees are services, agents and
// scheduled tasks running the same line on host after host, hour after
// hour. A line's flags are a function of its bytes alone, so a remembered
// line is answered exactly by a hash and a comparison, instead of a scan.
//
// It is direct-mapped (a new line takes its slot from whatever held it)
// and its copies live in one arena, emptied with every slot when full:
// memory is fixed whatever the lines. A line is copied only when it comes
// back: the first time, its slot keeps only its hash, so a stream where no
// line repeats costs a hash per line, not a copy.
type lineMemo struct {
	seed  maphash.Seed
	slots []memoSlot
	// arena holds the kept lines, arenaSize bytes, made when the first
	// line is kept: a process that never scores (Splunk starts some only
	// for getinfo) does not pay for it.
	arena     []byte
	arenaSize int
}

type memoSlot struct {
	hash       uint64
	start, end int // the line's copy: arena[start:end], when kept
	flags      splFlag
	state      slotState
}

type slotState uint8

const (
	slotEmpty slotState = iota
	slotSeen            // a line of this hash was seen once: only its hash is kept
	slotKept            // the line and its flags are kept
)

// Sizes of the default detector's memo: 4,096 slots and 1 MiB of lines
// (about 6,000 typical command lines); a line over a sixteenth of the
// arena is not remembered.
const (
	memoSlots     = 4096
	memoArenaSize = 1 << 20
)

// newLineMemo returns a memo of at least slots slots (a power of two, so a
// hash picks its slot with a mask rather than a division) and arenaSize
// bytes of lines.
func newLineMemo(slots, arenaSize int) *lineMemo {
	n := 1
	for n < slots {
		n *= 2
	}
	return &lineMemo{seed: maphash.MakeSeed(), slots: make([]memoSlot, n), arenaSize: arenaSize}
}

func (m *lineMemo) slot(hash uint64) *memoSlot { return &m.slots[hash&uint64(len(m.slots)-1)] }

// lookup returns the flags remembered for line, and the hash to pass to
// remember when there are none.
func (m *lineMemo) lookup(line []byte) (flags splFlag, hash uint64, ok bool) {
	hash = maphash.Bytes(m.seed, line)
	s := m.slot(hash)
	if s.state == slotKept && s.hash == hash && bytes.Equal(m.arena[s.start:s.end], line) {
		return s.flags, hash, true
	}
	return 0, hash, false
}

// remember records line's flags under the hash lookup returned: the line
// itself if it was seen before, only its hash otherwise.
func (m *lineMemo) remember(line []byte, hash uint64, flags splFlag) {
	if len(line) > m.arenaSize/16 {
		return
	}
	s := m.slot(hash)
	if s.state != slotSeen || s.hash != hash {
		*s = memoSlot{hash: hash, state: slotSeen}
		return
	}
	if m.arena == nil {
		m.arena = make([]byte, 0, m.arenaSize)
	}
	if len(m.arena)+len(line) > m.arenaSize {
		clear(m.slots) // s with them: it is set again below
		m.arena = m.arena[:0]
	}
	start := len(m.arena)
	m.arena = append(m.arena, line...)
	*s = memoSlot{hash: hash, start: start, end: len(m.arena), flags: flags, state: slotKept}
}
