package cli_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const jobsGolden = "../../testdata/golden/jobs.csv"

// TestScoreJobsGolden: `score --jobs` over the real recordings prints one
// row per BITS job, equal to testdata/golden/jobs.csv.
func TestScoreJobsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*", "*"))
	if err != nil || len(files) < 5 {
		t.Fatalf("fixtures: %v (%d files)", err, len(files))
	}
	slices.Sort(files)
	r := run(t, "", append([]string{"score", "--jobs"}, files...)...)
	if r.status != 1 {
		t.Fatalf("status %d, want 1 (a job alerts); stderr %s", r.status, r.stderr)
	}
	want, err := os.ReadFile(jobsGolden)
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Errorf("score --jobs differs from %s:\n%s", jobsGolden, r.stdout)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want0 := []string{"host", "JobId", "JobTitle", "JobOwner", "BitsProcessPath", "BitsUrl", "BitsDestination",
		"BitsNotifyCommand", "BytesTransferred", "FirstSeen", "LastSeen", "RiskScore", "Indicators", "EventCodes", "EventCount"}
	if !slices.Equal(rows[0], want0) {
		t.Fatalf("header %q, want %q", rows[0], want0)
	}
	// The hackingarticles session: event 3 (bitsadmin created it), 59 and
	// 60 (its URL) and 4 (completed) are one job, which alerts.
	var found bool
	for _, row := range rows[1:] {
		if row[2] != "hackingarticles" {
			continue
		}
		found = true
		if row[4] != `C:\Windows\System32\bitsadmin.exe` || !strings.HasPrefix(row[5], "https://www.ma-neobanque.com/") ||
			row[11] != "50" || row[13] != "3\n4\n59\n60" || row[14] != "4" || row[8] != "50813" {
			t.Errorf("hackingarticles job: %q", row)
		}
	}
	if !found {
		t.Error("no hackingarticles job")
	}
	// --alerts-only keeps the jobs that alert; --format json prints them
	// as objects.
	r = run(t, "", append([]string{"score", "--jobs", "--alerts-only", "--format", "json"}, files...)...)
	objs := jsonLines(t, r.stdout)
	if len(objs) != 1 || objs[0]["JobTitle"] != "hackingarticles" || objs[0]["RiskScore"] != "50" {
		t.Errorf("--alerts-only --format json: %v", objs)
	}
}
