package hardened

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/winevent"
)

// splVerdict runs the original SPL's saved-search test on in (laid out as
// d's inputs): (IsBitsAdmin=1 OR IsPowerShell=1) AND SuspicionScore>=1.
func splVerdict(t testing.TB, d detect.Detector, spl detect.Detector, in []detect.Values) bool {
	t.Helper()
	splIn := make([]detect.Values, len(spl.Inputs()))
	for j, name := range spl.Inputs() {
		splIn[j] = in[slices.Index(d.Inputs(), name)]
	}
	out := make([]detect.Values, len(spl.Outputs()))
	spl.Score(splIn, out)
	get := func(name string) string {
		v := out[slices.Index(spl.Outputs(), name)]
		if len(v) == 0 {
			return ""
		}
		return string(v[0])
	}
	return (get("IsBitsAdmin") == "1" || get("IsPowerShell") == "1") && get("SuspicionScore") != "0" && get("SuspicionScore") != ""
}

// onlyProgramName reports the SPL's documented defect: its alert rests on
// SuspiciousExt matching the program's own name, so the command line with
// its program removed would not alert.
func onlyProgramName(t testing.TB, d, spl detect.Detector, in []detect.Values) bool {
	t.Helper()
	stripped := slices.Clone(in)
	for _, name := range []string{"CommandLine", "ProcessCommandLine"} {
		k := slices.Index(d.Inputs(), name)
		var vs detect.Values
		for _, v := range in[k] {
			vs = append(vs, append([]byte("x "), v[programEnd(v):]...))
		}
		stripped[k] = vs
	}
	return !splVerdict(t, d, spl, stripped)
}

// checkNeverWeaker asserts point 2 of the hardened mode's contract on one
// event: where the SPL alerts, this mode alerts, unless a known-good entry
// lowered the event (and no evasion kept it) or the SPL's alert rests only
// on its program-name defect.
func checkNeverWeaker(t *testing.T, where string, d, spl detect.Detector, in []detect.Values) {
	t.Helper()
	if !splVerdict(t, d, spl, in) {
		return
	}
	out := make([]detect.Values, len(d.Outputs()))
	d.Score(in, out)
	r := cloneValues(out)
	risk := r[slices.Index(d.Outputs(), "RiskScore")]
	inds := r[slices.Index(d.Outputs(), "Indicators")]
	if n, err := strconv.Atoi(strings.Join(risk, "")); err == nil && n >= AlertThreshold {
		return
	}
	for _, ind := range inds {
		if strings.HasPrefix(ind, "known_good:") {
			return
		}
	}
	if onlyProgramName(t, d, spl, in) {
		return
	}
	t.Errorf("%s: the SPL alerts, hardened RiskScore %v, Indicators %v (inputs %q)", where, risk, inds, cloneValues(in))
}

// TestNeverWeakerThanSPLOnFixtures runs the contract over every recorded
// event in testdata.
func TestNeverWeakerThanSPLOnFixtures(t *testing.T) {
	d, spl := New(nil), detect.NewSPL()
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
			checkNeverWeaker(t, name, d, spl, toInputs(d, event(e.Fields)))
			n++
		}
	}
	t.Logf("%d events", n)
}

// TestNeverWeakerThanSPLOnRandomEvents runs it over random events built
// from hostile fragments, and over the rule table's examples.
func TestNeverWeakerThanSPLOnRandomEvents(t *testing.T) {
	d, spl := New(nil), detect.NewSPL()
	r := rand.New(rand.NewPCG(11, 1197))
	alerts := 0
	for i := range 8000 {
		in := randomEvent(r, d.Inputs())
		if r.IntN(2) == 0 {
			// The image the SPL tests, so that its alerts are frequent.
			images := []string{exBitsadmin, exPowerShell, `C:\Program Files\PowerShell\7\pwsh.exe`, `D:\x\BITSADMIN.EXE`}
			in[slices.Index(d.Inputs(), "Image")] = detect.Values{[]byte(images[r.IntN(len(images))])}
		}
		if splVerdict(t, d, spl, in) {
			alerts++
		}
		checkNeverWeaker(t, "random event", d, spl, in)
		if t.Failed() {
			t.Fatalf("stopped at event %d", i)
		}
	}
	if alerts < 400 {
		t.Fatalf("only %d of the random events make the SPL alert: the corpus tests little", alerts)
	}
	for _, rl := range rules {
		for _, e := range []example{rl.attack, rl.benign} {
			checkNeverWeaker(t, rl.name, d, spl, toInputs(d, ev(e...)))
		}
	}
}
