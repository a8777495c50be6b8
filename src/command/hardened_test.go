package command_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bitsscore/src/splunkd"
)

const hardenedEvent = "EventCode,Image,ParentImage,CommandLine,User,\"_chunked_idx\"\n" +
	`1,C:\Windows\System32\bitsadmin.exe,C:\corp\packager\pkgagent.exe,"bitsadmin /transfer pkg https://packages.corp.example/agent.exe C:\ProgramData\Corp\agent.exe",CORP\svc_pkg,0` + "\n"

// installApp lays the binary out as Splunk does, <app>/linux_x86_64/bin,
// with an optional local known-good list in <app>/lookups.
func installApp(t *testing.T, localList string) string {
	t.Helper()
	app := t.TempDir()
	bin := filepath.Join(app, "linux_x86_64", "bin", "bitsscore")
	exe, err := os.ReadFile(bitsscoreBin)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(bin), 0o755)
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	if localList != "" {
		os.MkdirAll(filepath.Join(app, "lookups"), 0o755)
		os.WriteFile(filepath.Join(app, "lookups", "bitsscore_known_good_local.csv"), []byte(localList), 0o644)
	}
	return bin
}

func TestHardenedMode(t *testing.T) {
	res, err := splunkd.Run(installApp(t, ""), searchInfo(t, "mode=hardened"), []splunkd.Chunk{{Body: []byte(hardenedEvent), Finished: true}}, splunkd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"EventCode", "OriginalFileName", "NewProcessName", "processPath", "url", "ScriptBlockText"} {
		if !slices.Contains(res.Info.RequiredFields, f) {
			t.Errorf("required_fields %q lack %s", res.Info.RequiredFields, f)
		}
	}
	out := res.Replies[0].Table
	if out.Get(0, "IsBitsAdmin") != "1" || out.Get(0, "SuspicionScore") == "" {
		t.Errorf("the SPL's fields are missing in hardened mode: %q", out.Header)
	}
	indicators, _ := out.Values(0, "Indicators")
	if risk, _ := strconv.Atoi(out.Get(0, "RiskScore")); risk < 50 || !slices.Contains(indicators, "bitsadmin_download") {
		t.Errorf("RiskScore %d, Indicators %q: want an alert with bitsadmin_download", risk, indicators)
	}
}

// The customer's list in <app>/lookups is merged over the shipped one.
func TestHardenedLocalKnownGood(t *testing.T) {
	list := "id,process,parent,host,destination,user,description\n" +
		`corp_packager,,*\corp\packager\pkgagent.exe,packages.corp.example,,,"Corp packager"` + "\n"
	res, err := splunkd.Run(installApp(t, list), searchInfo(t, "mode=hardened"), []splunkd.Chunk{{Body: []byte(hardenedEvent), Finished: true}}, splunkd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Replies[0].Table
	indicators, _ := out.Values(0, "Indicators")
	if risk, _ := strconv.Atoi(out.Get(0, "RiskScore")); !slices.Contains(indicators, "known_good:corp_packager") || risk >= 50 {
		t.Errorf("RiskScore %s, Indicators %q: want the local entry to lower it", out.Get(0, "RiskScore"), indicators)
	}

	// A broken list fails the search, saying where.
	s, err := splunkd.Start(installApp(t, "id,process\nbad id!,x\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetInfo(searchInfo(t, "mode=hardened"))
	var ce *splunkd.CommandError
	if !errors.As(err, &ce) || !strings.Contains(ce.Text, "bitsscore_known_good_local.csv") || !strings.Contains(ce.Text, "line") {
		t.Errorf("broken list: %v; want an error naming the file and line", err)
	}
	s.Wait()
}
