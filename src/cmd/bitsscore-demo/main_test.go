package main

import (
	"bytes"
	"strings"
	"testing"

	"bitsscore/src/internal/testbin"
)

// The demo runs the real binary over the sample and shows the rows the
// saved search keeps, best first, and the rows it drops.
func TestDemo(t *testing.T) {
	bin, cleanup, err := testbin.Bitsscore()
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	var out bytes.Buffer
	if err := run(&out, bin, "", 8); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"bitsscore scored 20 events in 4 chunks",
		"What the saved search shows: 14 events",
		"Not shown (6)",
		"Bits-Client 59 transfer started: no Image (SPL dead branch)",
		// mode=hardened on the same events: it alerts on what the SPL
		// misses and lowers the false positives the SPL shows.
		// The 59 from raw.githubusercontent.com too (a file-sharing host),
		// and Atomic Red Team's bitsadmin.exe /create and /resume, which
		// the SPL keeps only for their .exe and act on a job.
		"| bitsscore mode=hardened | where RiskScore >= 50: 14 alerts",
		"renamed_bitsadmin",
		"BitsProcessPath=C:\\Windows\\System32\\bitsadmin.exe",
		"known_good:windows_update",
		"known_good:sccm_ccmcache_job",
		"known_good:spl_program_name_only",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	// Highest score first: the first data row scores 3, the last shown 1.
	lines := strings.Split(text, "\n")
	first := ""
	for i, l := range lines {
		if strings.HasPrefix(l, "  _time") {
			first = lines[i+1]
			break
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(first), " 3") {
		t.Errorf("first row %q does not score 3", first)
	}
}
