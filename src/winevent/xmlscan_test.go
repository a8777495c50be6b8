package winevent

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// differentialCases are events written to reach every path of the scanner
// that the fixtures do not: quoting, entities, CDATA, comments, processing
// instructions, prefixes, nesting in each section and the prolog.
var differentialCases = []string{
	`<Event><System><EventID>1</EventID></System></Event>`,
	`<?xml version="1.0" encoding="utf-8"?><!-- c --><Event><System><Provider Name='p' Guid="{g}"/><EventID Qualifiers=''>4</EventID></System></Event>`,
	`<e:Event xmlns:e="urn:x"><e:System><e:EventID e:a="1" xmlns:z="u">2</e:EventID></e:System><e:EventData><e:Data Name="CommandLine">x</e:Data></e:EventData></e:Event>`,
	`<Event><System><p:q:Channel>c</p:q:Channel><Computer a:b:c="1">h</Computer></System><UserData><x:A><y:B>b</y:B></x:A></UserData></Event>`,
	`<Event><System><:EventID>1</:EventID><Computer: a::d="2">h</Computer:></System></Event>`,
	`<Event><EventData><Data Name="A">a&amp;b&lt;c&gt;d&quot;e&apos;f&#65;&#x42;&#x1F600;&#xD800;</Data></EventData></Event>`,
	`<Event><EventData><Data Name="A"><![CDATA[<not a tag> &amp;]]> and text</Data><Data Name="B">x<!-- hidden -->y<?pi z?>w</Data></EventData></Event>`,
	"<Event><EventData><Data Name=\"A\">line1\r\nline2\rline3&#13;&#10;<![CDATA[c\r\nd]]></Data></EventData></Event>",
	"<Event><System><Computer a=\"x\r\ny&#9;z\">h</Computer></System></Event>",
	`<Event><EventData><Data>one</Data><Data Name="">two</Data><Data>three</Data><Binary>00</Binary><Other Name="X">no</Other></EventData></Event>`,
	`<Event><EventData><Data Name="N">a<b>nested</b>c</Data><Data Name="N">second</Data><Data Name="Process Name">p</Data><Data Name="1x">q</Data></EventData></Event>`,
	`<Event><System><Security UserID="S-1"><Inner>t</Inner></Security><Level>4</Level><Level>5</Level></System></Event>`,
	`<Event><UserData><A><B>b</B>text<C><D>d</D></C><E/><F>f</F></A><G>g</G></UserData></Event>`,
	`<Event><UserData>top<A>a<!-- c -->b</A></UserData><RenderingInfo Culture="en"><Message>m<b>1</b></Message><Level>Info</Level></RenderingInfo></Event>`,
	`<Event><Other><System><EventID>9</EventID></System></Other><System><EventID>1</EventID></System><System><EventID>2</EventID><Channel>c</Channel></System></Event>`,
	`<Event><EventData><Data Name="Channel">d</Data><Data Name="EventCode">99</Data></EventData><System><Channel>Sec</Channel><TimeCreated SystemTime="2020-01-01T00:00:00.123456789Z"/></System></Event>`,
	"\ufeff<Event ><System ><EventID >3</EventID ></System ></Event >  \n<!-- after --><?pi?>\n",
	`<Event><!DOCTYPE inner [<!ELEMENT x ANY> "q>" <!-- > -->]><System><EventID>5</EventID></System></Event>`,
	`<Event><System><EventID a='1'b="2">5</EventID></System></Event>`,
	`<Event><System><EventID :a="1" a:="2" xmlns:="3">5</EventID></System></Event>`,
	`<:Event/>`,
	`<Event/>`,
	`<Event></Event>`,
	`<Event><EventData><Data Name='a&amp;b'>v</Data><Data Name="x" Name="y">dup</Data></EventData></Event>`,
	"<Event><EventData><Data Name=\"\u00e9t\u00e9\">accent</Data><Data Name=\"CommandLine\">\u00e9\u4e2d</Data></EventData></Event>",
	// Rejected by both.
	`<Event><System></Event>`,
	`<Event><System><EventID>1</EventID>`,
	`<Event><Data Name=a>1</Data></Event>`,
	`<Event><Data Name>1</Data></Event>`,
	`<Event>&nbsp;</Event>`,
	`<Event>&#;</Event>`,
	`<Event>&#x110000;</Event>`,
	`<Events><Event/></Events>`,
	`<Event/><Event/>`,
	`text<Event/>`,
	`<Event/>text`,
	`<!DOCTYPE x><Event/>`,
	`<Event><!-- open`,
	`<Event><![CDATA[ open`,
	`<Event><? open`,
	`<Event></>`,
	`<Event></Event`,
	`<Event a="1"/ >`,
	`<Event><System><TimeCreated SystemTime="yesterday"/></System></Event>`,
	``,
	`<`,
}

// TestScannerMatchesReference checks ParseXML's scanner against the
// encoding/xml reading it replaced, on every fixture event in both quoting
// styles and on the cases above: where both accept an event they give the
// same fields, and the scanner accepts every event the reference accepts.
func TestScannerMatchesReference(t *testing.T) {
	inputs := differentialCases
	for name := range fixtureEventCounts {
		if !strings.HasSuffix(name, ".xml.log") {
			continue
		}
		for _, line := range fixtureLines(t, name) {
			inputs = append(inputs, string(line), string(splunkRaw(t, line)))
		}
	}
	accepted := 0
	for _, input := range inputs {
		if compareWithReference(t, []byte(input)) {
			accepted++
		}
	}
	if accepted < len(inputs)/2 {
		t.Errorf("only %d of %d inputs accepted by both: the comparison proves little", accepted, len(inputs))
	}
}

// compareWithReference fails t when the scanner and the reference disagree
// on input, and reports whether both accepted it.
func compareWithReference(t *testing.T, input []byte) bool {
	t.Helper()
	got, err := ParseXML(input)
	want, refErr := referenceParseXML(input)
	switch {
	case refErr == nil && err != nil:
		t.Errorf("ParseXML(%q) = %v; encoding/xml accepts it", clip(string(input)), err)
	case refErr == nil:
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseXML(%q) differs from encoding/xml (-reference +scanner):\n%s", clip(string(input)), diff)
		}
		return true
	case err != nil && !strings.HasPrefix(err.Error(), "winevent: XML: "):
		t.Errorf("ParseXML(%q) error %q does not say where it comes from", clip(string(input)), err)
	case err == nil:
		checkInvariants(t, got)
	}
	return false
}

// FuzzScannerMatchesReference runs the comparison on generated events; the
// seeds are the differential cases and the fixtures' first lines.
func FuzzScannerMatchesReference(f *testing.F) {
	for _, c := range differentialCases {
		f.Add([]byte(c))
	}
	for name := range fixtureEventCounts {
		if strings.HasSuffix(name, ".xml.log") {
			f.Add(fixtureLines(f, name)[0])
		}
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		compareWithReference(t, input)
	})
}

// BenchmarkParseXMLReference is encoding/xml on the event of
// BenchmarkParseXML, for the ratio; BenchmarkCopyEvent is the cost of
// copying the event's bytes once, the floor of any reading of them.
func BenchmarkParseXMLReference(b *testing.B) {
	line := fixtureLines(b, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log")[0]
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := referenceParseXML(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopyEvent(b *testing.B) {
	line := fixtureLines(b, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log")[0]
	b.SetBytes(int64(len(line)))
	dst := make([]byte, len(line))
	for b.Loop() {
		copy(dst, line)
	}
}

// rawTInputs are the fields raw=t extracts for hardened mode (its
// detector's inputs), the most raw=t ever reads from one event.
var rawTInputs = []string{"EventCode", "CommandLine", "ProcessCommandLine", "Image", "OriginalFileName", "NewProcessName",
	"ParentImage", "ParentProcessName", "ParentCommandLine", "User", "SubjectUserName", "processPath", "jobTitle", "jobOwner",
	"url", "name", "RemoteName", "LocalName", "ScriptBlockText", "Payload", "Data"}

// BenchmarkRawTExtraction is raw=t's work per event, as src/command does
// it: ExtractXML of hardened mode's inputs from _raw, over every real XML
// event in turn. BenchmarkRawTCopy copies the same events' bytes once,
// the least any reader of them costs; the ratio of the two is raw=t's
// overhead per byte.
func BenchmarkRawTExtraction(b *testing.B) {
	events := fixtureEventsPerByte(b)
	i, found := 0, 0
	dst := make([][][]byte, len(rawTInputs))
	var buf []byte
	for b.Loop() {
		var err error
		buf, err = ExtractXML(events[i%len(events)], rawTInputs, dst, buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		for _, values := range dst {
			found += len(values)
		}
		i++
	}
	if found == 0 {
		b.Fatal("no input field found")
	}
}

// fixtureEventsPerByte returns every real XML event and sets b's byte count
// to their mean size, so the raw=t benchmarks report comparable MB/s.
func fixtureEventsPerByte(b *testing.B) [][]byte {
	events := allXMLFixtureEvents(b)
	total := 0
	for _, e := range events {
		total += len(e)
	}
	b.SetBytes(int64(total / len(events)))
	return events
}

func BenchmarkRawTCopy(b *testing.B) {
	events := fixtureEventsPerByte(b)
	dst := make([]byte, 0, 1<<20)
	i := 0
	for b.Loop() {
		dst = append(dst[:0], events[i%len(events)]...)
		i++
	}
}

func allXMLFixtureEvents(b testing.TB) [][]byte {
	var events [][]byte
	for name := range fixtureEventCounts {
		if strings.HasSuffix(name, ".xml.log") {
			events = append(events, fixtureLines(b, name)...)
		}
	}
	slices.SortFunc(events, bytes.Compare) // map order must not change the mix's order
	return events
}

// extractMatchesParse checks that ExtractXML gives every field of
// ParseXML's Event (and the raw=t inputs, and names absent from it) the
// same values, and fails where ParseXML fails.
func extractMatchesParse(t *testing.T, input []byte) {
	t.Helper()
	ev, err := ParseXML(input)
	names := slices.Clone(rawTInputs)
	names = append(names, "_time", "host", "source", "sourcetype", "SourceName", "TimeCreated", "Absent", "Data")
	names = append(names, ev.Names...)
	dst := make([][][]byte, len(names))
	_, xerr := ExtractXML(input, names, dst, nil)
	if (err == nil) != (xerr == nil) {
		t.Fatalf("ExtractXML(%q) error %v, ParseXML error %v", clip(string(input)), xerr, err)
	}
	if err != nil {
		return
	}
	for i, name := range names {
		var got []string
		for _, v := range dst[i] {
			got = append(got, string(v))
		}
		if diff := cmp.Diff(ev.Fields[name], got); diff != "" {
			t.Errorf("ExtractXML(%q) field %s (-ParseXML +ExtractXML):\n%s", clip(string(input)), name, diff)
		}
	}
}

func TestExtractXMLMatchesParseXML(t *testing.T) {
	inputs := slices.Clone(differentialCases)
	inputs = append(inputs,
		`<Event><System><Data>sys</Data></System><EventData><Data>one</Data><Data Name="Data">named</Data></EventData></Event>`,
		`<Event><EventData><Data Name="EventID">9</Data><Data Name="Name">n</Data><Data Name="SystemTime">t</Data></EventData></Event>`,
		`<Event><System><EventID>4</EventID></System><EventData><Data Name="EventCode">7</Data><Data Name="Process Name">p</Data></EventData></Event>`)
	for _, e := range allXMLFixtureEvents(t) {
		inputs = append(inputs, string(e))
	}
	for _, input := range inputs {
		extractMatchesParse(t, []byte(input))
	}
}

// scanQName finds the local part as localName does: every name of up to
// six bytes of "a", ':' and a two-byte character, ended by '>' or by the
// input's end.
func TestScanQNameMatchesLocalName(t *testing.T) {
	parts := []string{"a", ":", "é"}
	names := []string{""}
	for range 6 {
		for _, n := range names {
			for _, p := range parts {
				if len(n)+len(p) <= 6 && !slices.Contains(names, n+p) {
					names = append(names, n+p)
				}
			}
		}
	}
	for _, name := range names {
		for _, end := range []string{">", ""} {
			s := xmlScanner{src: []byte("<" + name + end)}
			gotEnd, local := s.scanQName(1)
			if gotEnd != 1+len(name) || string(s.src[local:gotEnd]) != string(localName([]byte(name))) {
				t.Fatalf("scanQName(%q) = %d, local %q; want %d, %q", s.src, gotEnd, s.src[local:gotEnd], 1+len(name), localName([]byte(name)))
			}
		}
	}
	if len(names) < 200 {
		t.Fatalf("only %d names", len(names))
	}
}

// TestExtractorMatchesExtractXML reads every case in turn with one
// Extractor, as the CLI reads a file, and each with ExtractXML: the same
// values and the same errors, whatever the events before (some fail
// half-way), and buf given back at its length on entry after an error.
func TestExtractorMatchesExtractXML(t *testing.T) {
	inputs := slices.Clone(differentialCases)
	for _, e := range allXMLFixtureEvents(t) {
		inputs = append(inputs, string(e))
	}
	names := append(slices.Clone(rawTInputs), "_time", "host", "source", "sourcetype", "SourceName", "Absent", "Data")
	x := NewExtractor[[][]byte](names)
	got, want := make([][][]byte, len(names)), make([][][]byte, len(names))
	prefix := []byte("kept")
	var buf []byte
	failed := 0
	for pass := range 2 {
		for _, input := range inputs {
			var err, wantErr error
			buf, err = x.Extract([]byte(input), got, append(buf[:0], prefix...))
			_, wantErr = ExtractXML([]byte(input), names, want, nil)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("pass %d, %q: Extract error %v, ExtractXML error %v", pass, clip(input), err, wantErr)
			}
			if string(buf[:len(prefix)]) != string(prefix) {
				t.Fatalf("%q: Extract overwrote buf's first bytes", clip(input))
			}
			if err != nil {
				failed++
				if len(buf) != len(prefix) {
					t.Fatalf("%q: Extract failed and left %d bytes in buf, want %d", clip(input), len(buf), len(prefix))
				}
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("pass %d, %q (-ExtractXML +Extract):\n%s", pass, clip(input), diff)
			}
		}
	}
	if failed == 0 || failed == 2*len(inputs) {
		t.Fatalf("%d of %d reads failed: the cases should mix good and bad events", failed, 2*len(inputs))
	}
}

func FuzzExtractXMLMatchesParseXML(f *testing.F) {
	for _, c := range differentialCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		extractMatchesParse(t, input)
	})
}
