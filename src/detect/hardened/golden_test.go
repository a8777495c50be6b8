package hardened

import (
	"path/filepath"
	"slices"
	"testing"

	"bitsscore/src/internal/fixture"
	"bitsscore/src/winevent"
)

// realEvents is the repository's copy of the recorded events (provenance in
// its PROVENANCE.txt and NOTICE).
const realEvents = "../../../testdata/real-events"

// goldenEvent is what one recorded event must score: its exact Indicators,
// whether it alerts, and some extracted fields.
type goldenEvent struct {
	indicators []string
	alert      bool
	fields     map[string][]string
}

var (
	artDownload = []string{"bitsadmin_download", "download_to_user_writable", "executable_download", "external_url", "file_sharing_domain", "renamed_on_download"}
	psDownload  = []string{"bits_cmdlet", "executable_download", "external_url", "file_sharing_domain", "renamed_on_download"}
	psFields    = map[string][]string{
		"BitsUrl":         {"https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md"},
		"BitsDestination": {`C:\Users\bits.ps1`},
	}
)

// golden lists, per file, the events (1-based line numbers) that score;
// every other event of the file must have no indicator at all.
var golden = map[string]map[int]goldenEvent{
	"evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log": {
		// Job created by bitsadmin.exe: the session's alert.
		1: {[]string{"bits_job_from_bitsadmin"}, true, map[string][]string{
			"BitsProcessPath": {`C:\Windows\System32\bitsadmin.exe`}, "BitsJobTitle": {"hackingarticles"}}},
		// Transfer started/stopped: a .jpg from a public host is what
		// every updater does; scored, not alerted (docs/hardened.md).
		3: {[]string{"external_url"}, false, map[string][]string{
			"BitsUrl": {"https://www.ma-neobanque.com/wp-content/uploads/2020/11/carte-max-premium.jpg"}, "BitsJobTitle": {"hackingarticles"}}},
		4: {[]string{"external_url"}, false, nil},
	},
	"evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log": {
		1: {[]string{"bitsadmin_download", "disguised_extension", "external_url"}, true, map[string][]string{
			"BitsUrl":         {"https://www.ma-neobanque.com/wp-content/uploads/2020/11/carte-max-premium.jpg"},
			"BitsDestination": {`c:\ignite.png`},
			"BitsProcessPath": {`C:\Windows\System32\bitsadmin.exe`},
			"BitsJobTitle":    {"hackingarticles"},
		}},
		// Line 2, dllhost.exe under svchost.exe, scores nothing.
	},
	"evtx-to-mitre-attack/bits-client_high-volume-download_powershell.xml.log": {
		// A 3 GB ISO from releases.ubuntu.com under the default
		// Start-BitsTransfer title: noted, never an alert.
		4: {[]string{"archive_download", "external_url"}, false, nil},
		5: {[]string{"archive_download", "external_url"}, false, nil},
	},
	"evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log": {
		2: {psDownload, true, psFields}, // 4104 ScriptBlockText
		// 4104 of the BitsTransfer module manifest lists the cmdlets.
		3: {[]string{"bits_cmdlet"}, false, nil},
		5: {psDownload, true, psFields}, // 800 Data
		7: {psDownload, true, psFields}, // 4103 Payload
	},
	"otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl": {
		3: {artDownload, true, map[string][]string{ // Security 4688
			"BitsDestination": {`C:\Users\wardog\AppData\Local\Temp\bitsadmin1_flag.ps1`}}},
		118: {append(slices.Clone(artDownload), "spl_alert"), true, map[string][]string{ // Sysmon 1: bitsadmin.exe, so the SPL alerts too
			"BitsDestination": {`C:\Users\wardog\AppData\Local\Temp\bitsadmin1_flag.ps1`}}},
	},
}

func TestGoldenRealEvents(t *testing.T) {
	d := New(nil)
	files, err := filepath.Glob(filepath.Join(realEvents, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range golden {
		if !slices.Contains(files, filepath.Join(realEvents, name)) {
			t.Errorf("fixture %s is missing", name)
		}
	}
	for name, want := range golden {
		lines, seen := fixture.Lines(t, filepath.Join(realEvents, name)), 0
		for i, raw := range lines {
			line := i + 1
			e, err := winevent.Parse(raw)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			r := score(t, d, event(e.Fields))
			w, listed := want[line]
			if !listed {
				if len(r.indicators) != 0 || r.risk != 0 {
					t.Errorf("%s:%d (EventCode %s): RiskScore %d, Indicators %v; want nothing", name, line, e.Get("EventCode"), r.risk, r.indicators)
				}
				continue
			}
			seen++
			if !slices.Equal(r.indicators, w.indicators) || (r.risk >= AlertThreshold) != w.alert {
				t.Errorf("%s:%d (EventCode %s): RiskScore %d, Indicators %v; want alert=%v, %v", name, line, e.Get("EventCode"), r.risk, r.indicators, w.alert, w.indicators)
			}
			for field, values := range w.fields {
				if got := r.fields[field]; !slices.Equal(got, values) {
					t.Errorf("%s:%d: %s = %q, want %q", name, line, field, got, values)
				}
			}
		}
		if seen != len(want) {
			t.Errorf("%s: %d lines, %d of the %d golden events found", name, len(lines), seen, len(want))
		}
	}
}
