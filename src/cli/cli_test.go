package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"bitsscore/src/internal/testbin"
)

var bitsscoreBin string

func TestMain(m *testing.M) { testbin.Main(m, &bitsscoreBin) }

const fixtures = "../../testdata/real-events/"

func fixture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(fixtures, name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	return path
}

type result struct {
	stdout, stderr string
	status         int
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bitsscoreBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), status}
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		objs = append(objs, obj)
	}
	return objs
}

// The real attack recordings alert in hardened mode; the high-volume ISO
// download and the ordinary events do not; the exit status says so.
func TestScoreHardenedAlerts(t *testing.T) {
	files := []string{
		fixture(t, "evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log"),
		fixture(t, "evtx-to-mitre-attack/bits-client_high-volume-download_powershell.xml.log"),
		fixture(t, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log"),
		fixture(t, "evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log"),
	}
	r := run(t, "", append([]string{"score", "--mode", "hardened", "--format", "json", "--alerts-only"}, files...)...)
	if r.status != 1 {
		t.Fatalf("status %d, want 1 (alerts)\nstderr: %s", r.status, r.stderr)
	}
	alerted := map[string]bool{}
	for _, obj := range jsonLines(t, r.stdout) {
		if obj["alert"] != true {
			t.Errorf("--alerts-only printed a non-alert: %v", obj)
		}
		alerted[fmt.Sprintf("%s:%v", filepath.Base(obj["source"].(string)), obj["line"])] = true
	}
	for _, want := range []string{
		"bits-client_3-59-60-4_bitsadmin_transfer.xml.log:1",    // job created by bitsadmin
		"security4688_bitsadmin_transfer.xml.log:1",             // bitsadmin /transfer in 4688
		"powershell_800-4103-4104_start-bitstransfer.xml.log:2", // 4104 Start-BitsTransfer
	} {
		if !alerted[want] {
			t.Errorf("%s did not alert; alerts: %v", want, alerted)
		}
	}
	for k := range alerted {
		if strings.HasPrefix(k, "bits-client_high-volume-download") || k == "security4688_bitsadmin_transfer.xml.log:2" {
			t.Errorf("%s alerted; it is benign", k)
		}
	}
}

// Default (spl) mode over the OTRF Atomic Red Team run: the Sysmon event
// passes the SPL's where clause, so the status is 1; every event is printed
// as CSV with the SPL's fields.
func TestScoreSPLCSV(t *testing.T) {
	path := fixture(t, "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl")
	r := run(t, "", "score", path)
	if r.status != 1 {
		t.Fatalf("status %d, want 1\nstderr: %s", r.status, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(lines[0], "source,line,_time,host,EventCode,CommandLine,Image,IsBitsAdmin,") {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) != 1+424 {
		t.Errorf("%d records, want 424", len(lines)-1)
	}
	var hit string
	for _, l := range lines {
		if strings.Contains(l, ",118,") {
			hit = l
		}
	}
	if !strings.HasSuffix(hit, ",1,0,0,1,0,1,1,1,4,true") {
		t.Errorf("line 118 (Sysmon bitsadmin /transfer) = %q, want IsBitsAdmin=1 ... SuspicionScore=4, alert", hit)
	}
}

// A bad event is reported with file and line and the rest is scored; with
// no alert the status is 2.
func TestScoreBadLines(t *testing.T) {
	good, err := os.ReadFile(fixture(t, "evtx-to-mitre-attack/bits-client_high-volume-download_powershell.xml.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	input := lines[0] + "<Event><System>cut</Event>\n" + strings.Join(lines[1:2], "") + "not an event at all\n" + strings.Join(lines[2:], "")
	path := filepath.Join(t.TempDir(), "mixed.xml")
	os.WriteFile(path, []byte(input), 0o644)
	r := run(t, "", "score", "--format", "json", "--mode", "hardened", path)
	if r.status != 2 {
		t.Errorf("status %d, want 2 (bad events, no alert)", r.status)
	}
	for _, want := range []string{path + ":2: winevent: XML: element <System> closed by </Event>", path + `:4: text "not an event at all" outside any <Event>`,
		path + ": 6 events scored, 0 alerts, 2 could not be read"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := len(jsonLines(t, r.stdout)); n != 6 {
		t.Errorf("%d events scored, want 6", n)
	}
}

// CSV on stdin, with multivalue columns; no alert gives status 0.
func TestScoreCSVStdin(t *testing.T) {
	input := "_time,host,Image,CommandLine,__mv_CommandLine\n" +
		"1700000000,h1,C:\\Windows\\notepad.exe,notepad.exe,\n" +
		"1700000001,h2,C:\\x\\powershell.exe,\"a\nGet-Date\",\"$a$;$Get-Date$\"\n"
	r := run(t, input, "score", "--format", "json")
	if r.status != 0 {
		t.Fatalf("status %d, want 0\nstderr: %s", r.status, r.stderr)
	}
	objs := jsonLines(t, r.stdout)
	if len(objs) != 2 {
		t.Fatalf("%d events, want 2", len(objs))
	}
	if got := fmt.Sprint(objs[1]["CommandLine"]); got != "[a Get-Date]" {
		t.Errorf("multivalue CommandLine = %s", got)
	}
	if objs[1]["IsPowerShell"] != 1.0 || objs[1]["alert"] != false {
		t.Errorf("event 2 = %v", objs[1])
	}
}

func TestScoreUsage(t *testing.T) {
	for _, args := range [][]string{{"score", "--mode", "fast"}, {"score", "--format", "xml"}, {"score", "/no/such/file"}, {"frobnicate"}} {
		if r := run(t, "", args...); r.status != 2 || r.stderr == "" {
			t.Errorf("%q: status %d, stderr %q; want 2 and a message", args, r.status, r.stderr)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"version"}} {
		if r := run(t, "", args...); r.status != 0 || !strings.Contains(r.stdout, "bitsscore") {
			t.Errorf("%q: status %d, stdout %q", args, r.status, r.stdout)
		}
	}
	// No arguments is protocol mode, as Splunk runs it: no input, no output,
	// a clean exit.
	if r := run(t, ""); r.status != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("protocol mode on empty input: %+v", r)
	}
	// Help that was asked for goes to stdout, once, with status 0; a
	// mistake gets the usage on stderr with status 2.
	for _, args := range [][]string{{"score", "--help"}, {"help", "score"}, {"replay", "-h"}} {
		r := run(t, "", args...)
		if r.status != 0 || strings.Count(r.stdout, "Usage: bitsscore") != 1 || r.stderr != "" {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, r.status, r.stdout, r.stderr)
		}
	}
	if r := run(t, "", "score", "--frob"); r.status != 2 || r.stdout != "" ||
		!strings.Contains(r.stderr, "flag provided but not defined: -frob") || strings.Count(r.stderr, "Usage: bitsscore score") != 1 {
		t.Errorf("score --frob: status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
}

// replay drives bitsscore itself over real events through the protocol and
// prints the merged events; --trace shows the exchange.
func TestReplay(t *testing.T) {
	path := fixture(t, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log")
	r := run(t, "", "replay", "--events", path, "--chunk-size", "1", "--arg", "mode=hardened", "--trace", "--", bitsscoreBin)
	if r.status != 0 {
		t.Fatalf("status %d\nstderr: %s", r.status, r.stderr)
	}
	for _, want := range []string{"-> command", "<- command", `"required_fields"`, "clean session: getinfo type=streaming", "2 events in 3 execute requests"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "RiskScore") || !strings.Contains(r.stdout, "bitsadmin_download") {
		t.Errorf("merged events lack the hardened fields:\n%s", r.stdout)
	}
}

// replay reports a command's error reply and a protocol violation, with
// status 1.
func TestReplayFailures(t *testing.T) {
	r := run(t, "", "replay", "--arg", "mode=bogus", "--", bitsscoreBin)
	if r.status != 1 || !strings.Contains(r.stderr, "mode=\"bogus\" is not a mode") {
		t.Errorf("bad argument: status %d, stderr %q", r.status, r.stderr)
	}
	// A "command" whose getinfo reply has no type.
	r = run(t, "", "replay", "--", "sh", "-c", `head -c 20 >/dev/null; printf 'chunked 1.0,2,0\n{}'; cat >/dev/null`)
	if r.status != 1 || !strings.Contains(r.stderr, "protocol violation in the getinfo reply") {
		t.Errorf("violation: status %d, stderr %q", r.status, r.stderr)
	}
	if r := run(t, "", "replay"); r.status != 2 {
		t.Errorf("no command: status %d, want 2", r.status)
	}
}

// A customer's known-good list lowers its own tool's events below the
// alert, and a broken list is refused with its line.
func TestScoreKnownGood(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "events.csv")
	os.WriteFile(events, []byte("_time,host,EventCode,Image,ParentImage,CommandLine,User\n"+
		`1700000000,pkg01,1,C:\Windows\System32\bitsadmin.exe,C:\corp\packager\pkgagent.exe,"bitsadmin /transfer pkg https://packages.corp.example/agent.exe C:\ProgramData\Corp\agent.exe",CORP\svc_pkg`+"\n"), 0o644)
	r := run(t, "", "score", "--mode", "hardened", "--format", "json", events)
	if r.status != 1 {
		t.Fatalf("without the list: status %d, want 1 (it alerts)\n%s%s", r.status, r.stdout, r.stderr)
	}
	list := filepath.Join(dir, "known.csv")
	os.WriteFile(list, []byte("id,process,parent,host,destination,user,description\n"+
		`corp_packager,,*\corp\packager\pkgagent.exe,packages.corp.example,,,"Corp packager"`+"\n"), 0o644)
	r = run(t, "", "score", "--mode", "hardened", "--format", "json", "--known-good", list, events)
	if r.status != 0 {
		t.Fatalf("with the list: status %d, want 0\n%s%s", r.status, r.stdout, r.stderr)
	}
	if obj := jsonLines(t, r.stdout)[0]; !strings.Contains(fmt.Sprint(obj["Indicators"]), "known_good:corp_packager") {
		t.Errorf("Indicators = %v, want known_good:corp_packager", obj["Indicators"])
	}
	os.WriteFile(list, []byte("id,process,parent,host,destination,user,description\nwindows_update,,x,,,,dup\n"), 0o644)
	r = run(t, "", "score", "--mode", "hardened", "--known-good", list, events)
	if r.status != 2 || !strings.Contains(r.stderr, "line 2") {
		t.Errorf("broken list: status %d, stderr %q; want 2 and the line", r.status, r.stderr)
	}
}
