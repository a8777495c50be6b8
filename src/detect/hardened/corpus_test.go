package hardened

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"bitsscore/src/internal/fixture"
	"bitsscore/src/winevent"
)

// benignEvents is the repository's corpus of recorded ordinary activity
// (provenance in its PROVENANCE.txt and NOTICE).
const benignEvents = "../../../testdata/benign-events"

// recordedLines returns a recording's event lines, gunzipping a .gz.
func recordedLines(t *testing.T, path string) [][]byte {
	t.Helper()
	if !strings.HasSuffix(path, ".gz") {
		return fixture.Lines(t, path)
	}
	return bytes.Split(bytes.TrimRight(fixture.Gunzip(t, path), "\n"), []byte("\n"))
}

// recordings returns the event files under dir's subdirectories.
func recordings(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s: no recordings", dir)
	}
	return files
}

// eachRecordedEvent calls f with every recorded event of testdata (the
// recordings of real-events and benign-events), where names its file, and
// returns how many there were.
func eachRecordedEvent(t *testing.T, f func(where string, e event)) int {
	t.Helper()
	files, err := filepath.Glob("../../../testdata/*-events/*/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found %d fixture files, want the recordings of testdata/real-events and testdata/benign-events", len(files))
	}
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "PROVENANCE.txt") || strings.HasSuffix(name, "NOTICE") {
			continue
		}
		for i, raw := range recordedLines(t, name) {
			e, err := winevent.Parse(raw)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			f(fmt.Sprintf("%s:%d", name, i+1), event(e.Fields))
			n++
		}
	}
	return n
}

// TestBenignCorpusRaisesNoAlert: on recorded ordinary activity hardened
// mode raises no alert.
func TestBenignCorpusRaisesNoAlert(t *testing.T) {
	d := New(nil)
	n, bitsClient := 0, 0
	for _, name := range recordings(t, benignEvents) {
		for i, raw := range recordedLines(t, name) {
			e, err := winevent.Parse(raw)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			if r := score(t, d, event(e.Fields)); r.risk >= AlertThreshold {
				t.Errorf("%s:%d (EventCode %s): RiskScore %d, Indicators %v", name, i+1, e.Get("EventCode"), r.risk, r.indicators)
			}
			if e.Get("Channel") == "Microsoft-Windows-Bits-Client/Operational" {
				bitsClient++
			}
			n++
		}
	}
	if n < 1000 {
		t.Errorf("the benign corpus has %d events, want at least 1000", n)
	}
	if bitsClient == 0 {
		t.Error("the benign corpus has no Bits-Client event")
	}
	t.Logf("%d events, %d of them Bits-Client", n, bitsClient)
}

// attackRecordings are the recordings of BITS abuse in testdata/real-events;
// the other one there is a legitimate ISO download.
var attackRecordings = []string{
	"evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log",
	"evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log",
	"evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log",
	"otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl",
}

// TestEveryAttackRecordingAlerts: each recording of BITS abuse has an
// event that alerts.
func TestEveryAttackRecordingAlerts(t *testing.T) {
	d := New(nil)
	for _, name := range attackRecordings {
		alerts := 0
		for i, raw := range recordedLines(t, filepath.Join(realEvents, name)) {
			e, err := winevent.Parse(raw)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			if score(t, d, event(e.Fields)).risk >= AlertThreshold {
				alerts++
			}
		}
		if alerts == 0 {
			t.Errorf("%s: no event alerts", name)
		}
	}
}
