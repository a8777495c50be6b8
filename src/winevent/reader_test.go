package winevent

import (
	"bytes"
	"errors"
	"fmt"
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
		"prefixed": {`<e:Events xmlns:e="u"><e:Event><e:System/></e:Event></e:Events>`, []readResult{{1, `<e:Event><e:System/></e:Event>`, ""}}},
		"junk":     {"junk\n" + a + "\n", []readResult{{1, "", `line 1: text "junk" outside any <Event>`}, {2, a, ""}}},
		// Tags that do not balance in a plain event are the parser's to
		// report (ParseXML: "element <System> closed by </Event>").
		"broken then good": {"<Event><System></Event>\n<EventData>" + a, []readResult{{1, "<Event><System></Event>", ""}, {2, a, ""}}},
		"cut then good":    {"<Event><System>\n" + a, []readResult{{1, "", "line 1: <System> not closed before the next <Event>"}, {2, a, ""}}},
		"truncated":        {a + "\n<Event><System>", []readResult{{1, a, ""}, {2, "", "line 2: input ends inside <System>"}}},
		// The reader balances tags and leaves matching them to the parser.
		"mismatched": {"<Event><a></b></Event>\n" + a, []readResult{{1, "<Event><a></b></Event>", ""}, {2, a, ""}}},
		"markup inside": {"<Event><!-- </Event> --><?pi </Event>?><Data a=\"</x>\" b='/>'><![CDATA[</Event>]]></Data></Event>",
			[]readResult{{1, "<Event><!-- </Event> --><?pi </Event>?><Data a=\"</x>\" b='/>'><![CDATA[</Event>]]></Data></Event>", ""}}},
		"self-closed":    {"<Event/>" + a, []readResult{{1, "<Event/>", ""}, {1, a, ""}}},
		"unclosed cdata": {"<Event><Data><![CDATA[x\n" + a + "\n" + a, []readResult{{1, "", "line 1: input ends inside <Data>"}, {2, a, ""}, {3, a, ""}}},
		"cut start tag":  {a + "\n<Event xmlns='u", []readResult{{1, a, ""}, {2, "", "line 2: input ends inside <Event>"}}},
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
	input := good + "\n" + big + "\n" + good + "\n"
	want := []readResult{{1, good, ""}, {2, "", "line 2: " + ErrEventTooLarge.Error()}, {3, good, ""}}
	// Whole (the event's end is found, then measured) and one byte per
	// Read (the reader stops reading at the cap).
	for _, r := range []io.Reader{strings.NewReader(input), iotest.OneByteReader(strings.NewReader(input))} {
		if diff := cmp.Diff(want, readAllEvents(t, r, 1000)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
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

// BenchmarkXMLEventReader is the event reader's cost per event on the real
// XML events, one per line: finding each event's end, nothing parsed.
func BenchmarkXMLEventReader(b *testing.B) {
	var input bytes.Buffer
	for _, e := range allXMLFixtureEvents(b) {
		input.Write(e)
		input.WriteByte('\n')
	}
	events := len(allXMLFixtureEvents(b))
	b.SetBytes(int64(input.Len()))
	for b.Loop() {
		x := NewXMLEventReader(bytes.NewReader(input.Bytes()))
		n := 0
		for {
			_, _, err := x.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != events {
			b.Fatalf("%d events, want %d", n, events)
		}
	}
}

// hostileReaderInputs are inputs made to defeat the reader's light scan,
// each a repeated unit: every unit sends the scan back to the scanner
// (or, for the unclosed quote, waits for a quote that never comes).
var hostileReaderInputs = map[string]string{
	"partial-tags":   "<Event <Event",
	"nested-events":  "<Event><System><Event>",
	"unclosed-quote": "<Event><Data Name=\"x><Event>",
	"cdata-open":     "<Event><![CDATA[<Event>",
	"comment-open":   "<Event><!--<Event>",
	"quote-open":     "<Event><a b='<Event>",
	"deep":           "<Event>" + strings.Repeat("<a>", 300),
	"mismatched":     "<Event><a></b></Event>\n",
}

// BenchmarkXMLEventReaderHostile reads each hostile input at 1 and 4 MiB:
// the cost per byte (MB/s) must be the same at both sizes, that is linear.
func BenchmarkXMLEventReaderHostile(b *testing.B) {
	for name, unit := range hostileReaderInputs {
		for _, size := range []int{1 << 20, 4 << 20} {
			input := bytes.Repeat([]byte(unit), size/len(unit))
			b.Run(fmt.Sprintf("%s/%dMiB", name, size>>20), func(b *testing.B) {
				b.SetBytes(int64(len(input)))
				for b.Loop() {
					x := NewXMLEventReader(bytes.NewReader(input))
					for {
						var eventErr *EventError
						if _, _, err := x.Next(); err == io.EOF {
							break
						} else if err != nil && !errors.As(err, &eventErr) {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
