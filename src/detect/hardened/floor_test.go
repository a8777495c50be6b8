package hardened

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bitsscore/src/detect"
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

// checkNeverWeaker asserts point 2 of the hardened mode's contract on one
// event, in the words: every event the original saved search
// alerts on alerts in hardened mode (RiskScore>=50) unless a known-good
// entry matches and no evasion is present.
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
	knownGood, evaded := false, false
	for _, ind := range inds {
		knownGood = knownGood || strings.HasPrefix(ind, "known_good:")
		if i, ok := indicatorByName(ind); ok && rules[i].kind == evasion {
			evaded = true
		}
	}
	if knownGood && !evaded {
		return
	}
	t.Errorf("%s: the SPL alerts, hardened RiskScore %v, Indicators %v (inputs %q)", where, risk, inds, cloneValues(in))
}

// TestNeverWeakerThanSPLOnFixtures runs the contract over every recorded
// event in testdata.
func TestNeverWeakerThanSPLOnFixtures(t *testing.T) {
	d, spl := New(nil), detect.NewSPL()
	n := eachRecordedEvent(t, func(where string, e event) {
		checkNeverWeaker(t, where, d, spl, toInputs(d, e))
	})
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

// TestSPLProgramNameOnly: the built-in known-good entry allows an SPL alert
// that rests only on the program's own name, and nothing that uses BITS:
// an SPL alert on a bitsadmin verb that acts on jobs is a real one.
func TestSPLProgramNameOnly(t *testing.T) {
	d, spl := New(nil), detect.NewSPL()
	const allowed, overridden = "known_good:spl_program_name_only", "known_good_overridden:spl_program_name_only"
	for _, c := range []struct {
		name  string
		e     event
		alert bool
		want  []string // indicators the event must carry
	}{
		{"PowerShell Get-Date", ev("EventCode", "1", "Image", powershellExe, "CommandLine", `powershell.exe -c Get-Date`), false, []string{allowed, "spl_alert"}},
		{"quoted PowerShell path", ev("EventCode", "1", "Image", powershellExe, "CommandLine", `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive`), false, []string{allowed}},
		{"pwsh", ev("EventCode", "1", "Image", `C:\Program Files\PowerShell\7\pwsh.exe`, "CommandLine", `pwsh.exe -NoLogo`), false, []string{allowed}},
		{"bitsadmin.exe /list", ev("EventCode", "1", "Image", bitsadminExe, "CommandLine", `bitsadmin.exe /list /allusers /verbose`), false, []string{allowed}},
		{"encoded Get-Date", ev("EventCode", "1", "Image", powershellExe, "CommandLine", `powershell.exe -enc `+exEncode("Get-Date")), false, []string{allowed, "encoded_command"}},
		{"bitsadmin.exe /resume", ev("EventCode", "1", "Image", bitsadminExe, "CommandLine", `bitsadmin.exe /resume job`), true, []string{"spl_alert", "bitsadmin_job_control"}},
		{"bitsadmin.exe /resume (Atomic Red Team T1197 #3)", ev("EventCode", "1", "Image", bitsadminExe, "CommandLine", `bitsadmin.exe /resume AtomicBITS`), true, []string{"spl_alert", "bitsadmin_job_control"}},
		{"bitsadmin.exe /reset", ev("EventCode", "1", "Image", bitsadminExe, "CommandLine", `bitsadmin.exe /reset`), true, []string{"spl_alert", "bitsadmin_reset"}},
		{"bitsadmin.exe /complete", ev("EventCode", "1", "Image", bitsadminExe, "CommandLine", `bitsadmin.exe /complete job`), true, []string{"spl_alert", "bitsadmin_job_control"}},
		{"encoded Start-BitsTransfer", ev("EventCode", "1", "Image", powershellExe, "CommandLine", `powershell.exe -enc `+exEncode(`Start-BitsTransfer -Source https://intranet/a.csv -Destination D:\a.csv`)), true, []string{"spl_alert", "bits_in_encoded_command"}},
		{"PowerShell running a script file", ev("EventCode", "1", "Image", powershellExe, "CommandLine", `powershell.exe -File D:\scripts\inventory.ps1`), true, []string{"spl_alert"}},
		{"obfuscated program name", ev("EventCode", "1", "Image", bitsadminExe, "CommandLine", `bit"sad"min.exe /list`), true, []string{overridden, "quote_obfuscation"}},
	} {
		r := score(t, d, c.e)
		if (r.risk >= AlertThreshold) != c.alert {
			t.Errorf("%s: RiskScore %d (Indicators %v), want alert=%v", c.name, r.risk, r.indicators, c.alert)
		}
		for _, ind := range c.want {
			if !r.has(ind) {
				t.Errorf("%s: Indicators %v lack %s", c.name, r.indicators, ind)
			}
		}
		if c.alert && r.has(allowed) {
			t.Errorf("%s: an alert carries %s", c.name, allowed)
		}
		if !splVerdict(t, d, spl, toInputs(d, c.e)) {
			t.Errorf("%s: the SPL does not alert: the case tests nothing", c.name)
		}
	}
}
