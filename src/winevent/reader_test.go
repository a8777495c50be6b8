package winevent

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

type readResult struct {
	Line  int
	Event string
	Err   string
}

func readAllEvents(t *testing.T, r io.Reader, maxEvent int) []readResult {
	t.Helper()
	x := NewXMLEventReader(r)
	if maxEvent > 0 {
		x.maxEvent = maxEvent
	}
	var got []readResult
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("reader does not end")
		}
		event, line, err := x.Next()
		if err == io.EOF {
			return got
		}
		var eventErr *EventError
		if err != nil && !errors.As(err, &eventErr) {
			t.Fatalf("Next: %v", err)
		}
		res := readResult{Line: line, Event: string(event)}
		if err != nil {
			res.Err = err.Error()
		}
		got = append(got, res)
	}
}

func TestXMLEventReaderShapes(t *testing.T) {
	const a, b = `<Event xmlns="u"><System><EventID>1</EventID></System></Event>`, "<Event>\n<System>\n<EventID a='>'>2</EventID>\n</System>\n</Event>"
	for name, tc := range map[string]struct {
		input string
		want  []readResult
	}{
		"lines":    {a + "\n" + a + "\r\n", []readResult{{1, a, ""}, {2, a, ""}}},
		"one line": {a + a, []readResult{{1, a, ""}, {1, a, ""}}},
		"wrapper": {"<?xml version=\"1.1\" encoding=\"utf-8\" standalone=\"yes\" ?>\n<Events a='>'>\n" + a + "\n<!-- c -->" + b + "\n</Events>\n",
			[]readResult{{3, a, ""}, {4, b, ""}}},
		"prefixed":         {`<e:Events xmlns:e="u"><e:Event><e:System/></e:Event></e:Events>`, []readResult{{1, `<e:Event><e:System/></e:Event>`, ""}}},
		"junk":             {"junk\n" + a + "\n", []readResult{{1, "", `line 1: text "junk" outside any <Event>`}, {2, a, ""}}},
		"broken then good": {"<Event><System></Event>\n<EventData>" + a, []readResult{{1, "", "line 1: element <System> closed by </Event>"}, {2, a, ""}}},
		"truncated":        {a + "\n<Event><System>", []readResult{{1, a, ""}, {2, "", "line 2: input ends inside <System>"}}},
		"deep": {strings.Repeat("<Event>"+strings.Repeat("<a>", 300)+"\n", 2) + a,
			[]readResult{{1, "", "line 1: elements nested more than 256 deep"}, {2, "", "line 2: elements nested more than 256 deep"}, {3, a, ""}}},
	} {
		t.Run(name, func(t *testing.T) {
			// One byte per Read: every boundary falls inside some token.
			for _, r := range []io.Reader{strings.NewReader(tc.input), iotest.OneByteReader(strings.NewReader(tc.input))} {
				if diff := cmp.Diff(tc.want, readAllEvents(t, r, 0)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestXMLEventReaderOversizedEvent(t *testing.T) {
	const good = `<Event><System><EventID>1</EventID></System></Event>`
	big := "<Event><EventData><Data Name='x'>" + strings.Repeat("A", 5000) + "</Data><EventData2/></EventData></Event>"
	got := readAllEvents(t, strings.NewReader(good+"\n"+big+"\n"+good+"\n"), 1000)
	want := []readResult{{1, good, ""}, {2, "", "line 2: " + ErrEventTooLarge.Error()}, {3, good, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// 2.5 million levels: one error, and the next event is still read, in
// time linear in the input.
func TestXMLEventReaderDeepEvent(t *testing.T) {
	const good = `<Event><System><EventID>1</EventID></System></Event>`
	var input bytes.Buffer
	input.WriteString("<Event>")
	for range 2_500_000 {
		input.WriteString("<a>")
	}
	input.WriteString("\n" + good)
	got := readAllEvents(t, &input, 0)
	want := []readResult{{1, "", "line 1: elements nested more than 256 deep"}, {2, good, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
