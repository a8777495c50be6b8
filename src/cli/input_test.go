package cli

import (
	"bytes"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/detect/modes"
)

// An XML event read for score's fields (ExtractXML's bytes) gives the
// writers what the same event read whole (ParseXML's map) gives for those
// fields: each field's first value and all its values, and the names it
// has, in the order they were asked for.
func TestExtractedEventsReadAsWholeEvents(t *testing.T) {
	det, err := modes.New(modes.Hardened, modes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := newEventScorer(det, modes.Hardened)
	want := append(slices.Clone(s.wanted), "Absent")
	events := 0
	for _, name := range xmlFixtures {
		data, err := readFixture(name)
		if err != nil {
			t.Fatal(err)
		}
		var whole []*inputEvent
		if err := readEvents(name, bytes.NewReader(data), nil, func(ev *inputEvent) { whole = append(whole, ev) }, func(e *inputError) {
			t.Errorf("whole: %v", e)
		}); err != nil {
			t.Fatal(err)
		}
		k := 0
		err = readEvents(name, bytes.NewReader(data), want, func(ev *inputEvent) {
			if ev.extracted == nil || ev.fields != nil {
				t.Fatalf("%s:%d: not read as extracted bytes", name, ev.line)
			}
			w := whole[k]
			k++
			if ev.line != w.line {
				t.Errorf("%s: event %d at line %d, read whole at %d", name, k, ev.line, w.line)
			}
			var names []string
			for _, field := range want {
				if len(w.fields[field]) > 0 {
					names = append(names, field)
				}
				if got, exp := ev.get(field), w.get(field); got != exp {
					t.Errorf("%s:%d: get(%s) = %q, whole event %q", name, ev.line, field, got, exp)
				}
				if diff := cmp.Diff(w.list(field), ev.list(field)); diff != "" {
					t.Errorf("%s:%d: list(%s) (-whole +extracted):\n%s", name, ev.line, field, diff)
				}
			}
			if diff := cmp.Diff(names, ev.fieldNames()); diff != "" {
				t.Errorf("%s:%d: fieldNames (-whole +extracted):\n%s", name, ev.line, diff)
			}
		}, func(e *inputError) { t.Errorf("extracted: %v", e) })
		if err != nil {
			t.Fatal(err)
		}
		if k != len(whole) {
			t.Errorf("%s: %d events extracted, %d read whole", name, k, len(whole))
		}
		events += k
	}
	if events < 20 {
		t.Fatalf("only %d events in the fixtures", events)
	}
}
