package hardened

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"slices"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/internal/testevents"
)

// shortcutPair is a detector with the uneventful shortcut and one that
// analyses every event, both without the memo, so that each event is
// answered by the path under test.
type shortcutPair struct {
	fast, slow *Detector
	took, not  int // events the shortcut answered, and did not
}

func newShortcutPair() *shortcutPair {
	p := &shortcutPair{fast: New(nil).(*Detector), slow: New(nil).(*Detector)}
	p.fast.memo, p.slow.memo = nil, nil
	p.slow.analyzeAll = true
	return p
}

// check scores in with both detectors and fails unless the outputs and
// the verdicts are the same, and unless every event the shortcut takes is
// one the analysis finds quiet.
func (p *shortcutPair) check(t testing.TB, where string, in []detect.Values) {
	t.Helper()
	outFast := make([]detect.Values, len(p.fast.Outputs()))
	outSlow := make([]detect.Values, len(p.slow.Outputs()))
	p.slow.Score(in, outSlow)
	nSPL := len(outSlow) - numOwnOutputs
	if p.fast.uneventful(in, outSlow[:nSPL]) {
		p.took++
		if !quiet(outSlow[nSPL:]) {
			t.Fatalf("%s: the shortcut takes an event the analysis scores %q (inputs %q)", where, cloneValues(outSlow[nSPL:]), cloneValues(in))
		}
	} else {
		p.not++
	}
	p.fast.Score(in, outFast)
	if got, want := cloneValues(outFast), cloneValues(outSlow); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("%s: with the shortcut %q, analysed %q (inputs %q)", where, got, want, cloneValues(in))
	}
	if p.fast.Verdict() != p.slow.Verdict() {
		t.Fatalf("%s: verdict %d with the shortcut, %d analysed (inputs %q)", where, p.fast.Verdict(), p.slow.Verdict(), cloneValues(in))
	}
}

// wantBoth fails unless the shortcut both took and declined some events.
func (p *shortcutPair) wantBoth(t *testing.T, what string) {
	t.Helper()
	if p.took == 0 || p.not == 0 {
		t.Errorf("%s: the shortcut took %d events and declined %d: want some of each", what, p.took, p.not)
	}
	t.Logf("%s: the shortcut took %d events, declined %d", what, p.took, p.not)
}

// Process creations built from the names and lines the shortcut must tell
// apart: the programs it may not take (bitsadmin, the PowerShell family,
// by image or by OriginalFileName, in any case), interpreters under the
// service host, the BITS service's command lines and their obfuscations,
// and ordinary ones.
var (
	processImages = []string{
		`C:\Windows\System32\notepad.exe`, `C:\Windows\System32\cmd.exe`, `C:\WINDOWS\system32\CMD.EXE`,
		`C:\Windows\System32\bitsadmin.exe`, `D:\x\BITSADMIN.EXE`, `C:\x\svc.exe`, `C:\Windows\System32\WerFault.exe`,
		`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `C:\Program Files\PowerShell\7\pwsh.exe`,
		`C:\x\PowerShell_ISE.exe`, `C:\x\sqlps`, `C:\Windows\System32\rundll32.exe`, `C:/Windows/System32/wscript.exe`,
		`C:\Windows\System32\desktopimgdownldr.exe`, `notepad.exe`, "", " ",
	}
	originalNames = []string{"", "bitsadmin.exe", " BITSADMIN.EXE ", "pwsh.dll", "PowerShell.EXE", "cmd.exe", "notepad.exe", "sqltoolsps.exe", "Cmd.Exe"}
	parentImages  = []string{
		"", `C:\Windows\System32\svchost.exe`, `C:\WINDOWS\SYSTEM32\SVCHOST.EXE`, `svchost.exe`, `C:\Windows\explorer.exe`,
		`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, `C:\x\svchost.exe.bak`,
	}
	parentCommandLines = []string{
		"", `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`, `C:\Windows\system32\svchost.exe -k netsvcs`,
		`svchost.exe -k netsvcs -p -s Schedule`, `svchost.exe -k NetSvcs -s "bi^ts"`, `svchost.exe /k netsvcs /s Bits`,
		`C:\Windows\system32\svchost.exe -k LocalService -p -s BITS`, "svchost.exe -k netsvcs -s b'i't's",
	}
)

func pick(r *rand.Rand, pool []string) string { return pool[r.IntN(len(pool))] }

// randomProcessEvent is a Sysmon 1 or Security 4688 process creation (or
// one without EventCode), its fields drawn from the pools above and its
// command line from the hostile fragments.
func randomProcessEvent(r *rand.Rand, d detect.Detector) []detect.Values {
	e := event{}
	set := func(name, v string) {
		if v != "" || r.IntN(4) == 0 {
			e[name] = append(e[name], v)
		}
	}
	switch r.IntN(3) {
	case 0:
		set("EventCode", "1")
		set("Image", pick(r, processImages))
		set("ParentImage", pick(r, parentImages))
	case 1:
		set("EventCode", "4688")
		set("NewProcessName", pick(r, processImages))
		set("ParentProcessName", pick(r, parentImages))
	default:
		set("Image", pick(r, processImages))
		set("ParentProcessName", pick(r, parentImages))
	}
	set("OriginalFileName", pick(r, originalNames))
	set("ParentCommandLine", pick(r, parentCommandLines))
	for range 1 + r.IntN(2)*r.IntN(3) {
		field := "CommandLine"
		if r.IntN(3) == 0 {
			field = "ProcessCommandLine"
		}
		set(field, string(randomValue(r)))
	}
	if r.IntN(8) == 0 {
		set("ScriptBlockText", string(randomValue(r)))
	}
	if r.IntN(16) == 0 {
		set([]string{"processPath", "jobTitle", "url", "name", "RemoteName", "LocalName", "Payload", "Data"}[r.IntN(8)], string(randomValue(r)))
	}
	return toInputs(d, e)
}

// TestShortcutAnswersAsAnalysis holds the uneventful shortcut to the
// analysis it skips: on every recorded event of testdata, on the events
// the end-to-end benchmarks stream, on the rule table's examples, and on
// random events, the outputs and the verdict are those of the analysis,
// and every event the shortcut takes is one the analysis finds quiet.
func TestShortcutAnswersAsAnalysis(t *testing.T) {
	t.Run("recorded", func(t *testing.T) {
		p := newShortcutPair()
		n := eachRecordedEvent(t, func(where string, e event) {
			p.check(t, where, toInputs(p.fast, e))
		})
		if n < 1000 {
			t.Errorf("%d recorded events, want the 1,000 and more of testdata", n)
		}
		p.wantBoth(t, "recorded events")
	})
	t.Run("benchmark stream", func(t *testing.T) {
		p := newShortcutPair()
		records, err := csv.NewReader(bytes.NewReader(testevents.Body(2000, 14))).ReadAll()
		if err != nil || records[0][0] != "CommandLine" || records[0][1] != "Image" {
			t.Fatalf("testevents.Body: %v, header %q", err, records[0])
		}
		for _, r := range records[1:] {
			p.check(t, "testevents", toInputs(p.fast, ev("CommandLine", r[0], "Image", r[1])))
		}
		p.wantBoth(t, "the benchmark stream")
	})
	t.Run("rule examples", func(t *testing.T) {
		p := newShortcutPair()
		for _, rl := range rules {
			for _, e := range []example{rl.attack, rl.benign} {
				p.check(t, rl.name, toInputs(p.fast, ev(e...)))
			}
		}
		p.wantBoth(t, "the rule examples")
	})
	t.Run("random", func(t *testing.T) {
		p := newShortcutPair()
		r := rand.New(rand.NewPCG(14, 1197))
		for range 20000 {
			p.check(t, "random event", randomEvent(r, p.fast.Inputs()))
		}
		p.wantBoth(t, "random events")
	})
	t.Run("random process creations", func(t *testing.T) {
		p := newShortcutPair()
		r := rand.New(rand.NewPCG(15, 1197))
		for range 40000 {
			p.check(t, "random process creation", randomProcessEvent(r, p.fast))
		}
		p.wantBoth(t, "random process creations")
	})
}

// FuzzShortcutAnswersAsAnalysis: on any event (the fuzzer's strings laid
// over the fields, a service host parent included), the shortcut answers
// as the analysis.
func FuzzShortcutAnswersAsAnalysis(f *testing.F) {
	f.Add("1", `notepad.exe C:\notes.txt`, `C:\Windows\System32\notepad.exe`, "", "", "", "")
	f.Add("1", `cmd.exe /c calc.exe`, cmdExe, "Cmd.Exe", `svchost.exe -k netsvcs -p -s BI"TS`, "", "")
	f.Add("4104", "", "", "", "", "", `$m = New-Object -ComObject "Bi^ts.Manager"`)
	p := newShortcutPair()
	f.Fuzz(func(t *testing.T, code, cmd, image, ofn, parentCmd, remote, script string) {
		p.check(t, "fuzz", fuzzEvent(p.fast.Inputs(), code, cmd, image, ofn, parentCmd, remote, script))
	})
}
