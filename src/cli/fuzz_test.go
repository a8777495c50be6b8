package cli

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzReadEvents feeds arbitrary input to every shape's reader: it must
// end, never panic, and give every event a place.
func FuzzReadEvents(f *testing.F) {
	for _, seed := range []string{
		"<Event><System><EventID>1</EventID></System></Event>\n<Events><Event/></Events>",
		`{"results":[{"CommandLine":"x"},{"_raw":"<Event/>"}]}` + "\n[{\"a\":1}]",
		`{"preview":false,"result":{"_raw":"<Event><System/></Event>"}}`,
		"_time,_raw\n1,\"<Event/>\"\n2,\"unclosed\n",
		"\xff\xfe<\x00E\x00",
		"\x1f\x8b\x08\x00",
		// What the event reader's light scan hands back to the scanner,
		// or must not search again for each <Event inside it.
		"<Event <Event<Event><a b='<Event>'/></Event>",
		"<Event><![CDATA[<Event><![CDATA[<Event><!--<Event><?pi <Event>",
		"<Event><a></b></Event>\n<Event><a x=\"</a>\"/></Event>",
		// Tools' export shapes: EvtxECmd's CSV with a Payload of JSON, ECS
		// lines and hits, nested converters' JSON.
		"EventId,Provider,Payload\n1,p,\"{\"\"EventData\"\":{\"\"Data\"\":[{\"\"@Name\"\":\"\"X\"\"}]}}\"\n2,p,\"{\"\"EventData\"\":[\"\n",
		`{"_source":{"winlog":{"event_id":"4103","provider_name":"Microsoft-Windows-PowerShell"},"message":"\nContext:\n"}}`,
		`{"System":{"EventID":{"Value":1},"TimeCreated":{"SystemTime":1e400}},"EventData":{"Data":[{"#text":[[]]}]}}`,
		// Search responses: hits streamed, or a "hits" that is not theirs.
		`{"took":1,"hits":{"total":{"value":2},"hits":[{"_index":"i","_source":{"winlog":{"event_id":"1"}}},{"_index":"i","_source":1},3]},"aggregations":{}}`,
		`{"hits":{"hits":5,"total":[1,{"a":null}]},"CommandLine":"x"}` + "\n" + `{"hits":"h","results":[]}{"hits":{"hits":[`,
	} {
		f.Add([]byte(seed))
	}
	want := append(slices.Clone(shownFields), "CommandLine", "Image")
	f.Fuzz(func(t *testing.T, input []byte) {
		// Whole events (replay) and only the fields score reads.
		for _, want := range [][]string{nil, want} {
			readAll(t, input, want)
		}
	})
}

func readAll(t *testing.T, input []byte, want []string) {
	err := readEvents("f", bytes.NewReader(input), want, func(ev *inputEvent) {
		if ev.line < 1 || ev.fields == nil && ev.extracted == nil {
			t.Fatalf("event without a place or fields: %+v", ev)
		}
	}, func(e *inputError) {
		if e.line < 1 || e.err == nil {
			t.Fatalf("error without a place or cause: %+v", e)
		}
	})
	_ = err // an unreadable input is a legitimate outcome
}
