package command

import (
	"bytes"
	"io"
	"runtime"
	"slices"
	"testing"

	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
)

// LimitMemory hears the budget of the largest chunk so far, each time a
// larger one arrives, and not otherwise.
func TestLimitMemoryFollowsTheLargestChunk(t *testing.T) {
	var limits []int64
	LimitMemory = func(b int64) int64 { limits = append(limits, b); return 0 }
	defer func() { LimitMemory = nil }()

	small, large := testevents.Body(10, 1), testevents.Body(1000, 2)
	var stream bytes.Buffer
	w := scp.NewWriter(&stream)
	w.WriteMessage([]byte(`{"action":"getinfo","searchinfo":{"args":[]}}`), nil)
	for _, body := range [][]byte{small, large, small, large} {
		w.WriteMessage([]byte(`{"action":"execute","finished":false}`), body)
	}
	if status := NewSession(&stream, io.Discard).Run(); status != ExitOK {
		t.Fatalf("status %d", status)
	}
	want := []int64{memoryBudget(len(small)) - memoryHeadroom, memoryBudget(len(large)) - memoryHeadroom}
	if !slices.Equal(limits, want) {
		t.Errorf("limits %v, want %v", limits, want)
	}
}

// GrowPipes is asked once, when the first execute request begins to
// arrive: never by a process that only answers getinfo, and not again for
// later chunks.
func TestGrowPipesOncePerScoringSession(t *testing.T) {
	for _, executes := range []int{0, 1, 3} {
		var stream bytes.Buffer
		w := scp.NewWriter(&stream)
		w.WriteMessage([]byte(`{"action":"getinfo","searchinfo":{"args":[]}}`), nil)
		for range executes {
			w.WriteMessage([]byte(`{"action":"execute","finished":false}`), testevents.Body(3, 1))
		}
		calls := 0
		s := NewSession(&stream, io.Discard)
		s.GrowPipes = func() string { calls++; return "grown" }
		if status := s.Run(); status != ExitOK {
			t.Fatalf("%d executes: status %d", executes, status)
		}
		if want := min(executes, 1); calls != want {
			t.Errorf("%d executes: GrowPipes called %d times, want %d", executes, calls, want)
		}
	}
}

// A process that only answers getinfo (Splunk starts them to learn the
// command's type and fields) allocates no buffer for chunks: the memos'
// arenas and the reply writer's 1 MiB wait for a chunk. Under 4 MiB of
// allocations it also finishes before the garbage collector's first cycle,
// which cost a getinfo reply about a fifth of its time.
func TestGetInfoOnlyAllocatesLittle(t *testing.T) {
	for _, args := range []string{`[]`, `["mode=hardened"]`} {
		var stream bytes.Buffer
		w := scp.NewWriter(&stream)
		w.WriteMessage([]byte(`{"action":"getinfo","searchinfo":{"args":`+args+`}}`), nil)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if status := NewSession(&stream, io.Discard).Run(); status != ExitOK {
			t.Fatalf("%s: status %d", args, status)
		}
		runtime.ReadMemStats(&after)
		// Each arena or the writer alone is 1 MiB; the rest of a
		// getinfo is about 0.4 MiB (0.9 MiB with hardened mode's tables).
		if got := after.TotalAlloc - before.TotalAlloc; got > 3<<19 {
			t.Errorf("args %s: a getinfo-only session allocated %d bytes, want under 1.5 MiB", args, got)
		}
	}
}
