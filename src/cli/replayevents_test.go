package cli

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"bitsscore/src/splcsv"
)

// bodiesSent returns the chunks sendEvents hands on for input.
func bodiesSent(t *testing.T, name string, input []byte, chunkSize int) [][]byte {
	t.Helper()
	var bodies [][]byte
	err := sendEvents(name, bytes.NewReader(input), chunkSize, func(body []byte) error {
		bodies = append(bodies, bytes.Clone(body))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return bodies
}

func headerOf(t *testing.T, body []byte) []string {
	t.Helper()
	r := splcsv.NewReader(body)
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	return r.Header()
}

// A CSV file whose rows score reads as other fields (an export's renamed
// columns) reaches the command as those fields, as it did when replay read
// every file as score does.
func TestReplaySendsExportsAsScoreReadsThem(t *testing.T) {
	var xmlLines [][]byte
	for _, name := range xmlFixtures {
		xmlLines = append(xmlLines, fixtureFileLines(t, name)...)
	}
	shapes := evtxECmdShapes(t, xmlLines)
	maps.Copy(shapes, ecsShapes(t, xmlLines))
	tested := 0
	for name, input := range shapes {
		if !strings.Contains(name, "CSV") {
			continue
		}
		tested++
		for _, body := range bodiesSent(t, name, input, 50000) {
			header := headerOf(t, body)
			if !slices.Contains(header, "EventCode") || slices.Contains(header, "EventId") ||
				slices.ContainsFunc(header, func(h string) bool { return strings.HasPrefix(h, "winlog.") }) {
				t.Errorf("%s: the command is sent the export's columns %q", name, header)
			}
		}
	}
	if tested < 3 {
		t.Fatalf("%d CSV shapes tested", tested)
	}
}

// A plain CSV file's records are sent as the file has them, a chunk at a
// time, each chunk with the file's header row.
func TestReplaySendsCSVRecordsAsTheyAre(t *testing.T) {
	header := "\"host\",CommandLine\r\n"
	records := []string{"\"h1\",\"a,b\r\nc\"\r\n", "h2,x\r\n", "h3,\"y\"\r\n"}
	input := header + strings.Join(records, "")
	bodies := bodiesSent(t, "plain.csv", []byte(input), 2)
	want := [][]byte{[]byte(header + records[0] + records[1]), []byte(header + records[2])}
	if !slices.EqualFunc(bodies, want, bytes.Equal) {
		t.Errorf("chunks sent:\n%q\nwant\n%q", bodies, want)
	}
	// Export-Csv's "#TYPE" line is skipped as score skips it.
	bodies = bodiesSent(t, "ps.csv", []byte("#TYPE System.Object\r\n"+input), 10)
	if len(bodies) != 1 || !slices.Equal(headerOf(t, bodies[0]), []string{"host", "CommandLine"}) {
		t.Errorf("with a #TYPE line, chunks sent: %q", bodies)
	}
}
