package bitsjobs

import (
	"fmt"
	"slices"
	"testing"
)

type ev map[string][]string

func (e ev) get(f string) []string { return e[f] }

func one(kv ...string) ev {
	e := ev{}
	for i := 0; i+1 < len(kv); i += 2 {
		e[kv[i]] = append(e[kv[i]], kv[i+1])
	}
	return e
}

func TestGroupsByHostAndJobID(t *testing.T) {
	g := NewGrouper()
	events := []ev{
		one("host", "ws1", "_time", "100.5", "EventCode", "3", "jobId", "{AAAA-1}", "jobTitle", "t", "jobOwner", `CORP\a`,
			"BitsProcessPath", `C:\Windows\System32\notepad.exe`, "RiskScore", "60", "Indicators", "bits_job_from_no_business_process"),
		one("host", "WS1", "_time", "101", "EventCode", "59", "Id", "{aaaa-1}", "name", "t", "BitsUrl", "https://evil.tld/a.exe",
			"bytesTransferred", "0", "RiskScore", "50", "Indicators", "executable_download", "Indicators", "external_url"),
		one("host", "ws1", "_time", "99", "EventCode", "60", "Id", "aaaa-1", "name", "t", "BitsUrl", "https://evil.tld/a.exe",
			"bytesTransferred", "4096", "RiskScore", "50"),
		one("host", "ws1", "_time", "102", "EventCode", "16403", "jobId", "{aaaa-1}", "BitsDestination", `C:\Users\Public\a.exe`, "RiskScore", "20"),
		one("host", "ws2", "_time", "100", "EventCode", "59", "Id", "{aaaa-1}", "BitsUrl", "https://x/a", "RiskScore", "0"),
		one("host", "ws1", "_time", "100", "EventCode", "1", "Image", "bitsadmin.exe"),   // not a job event
		one("host", "ws1", "_time", "100", "EventCode", "310", "jobId", "{aaaa-1}"),      // not a job event
		one("host", "ws1", "_time", "100", "EventCode", "4", "jobTitle", "no id at all"), // no id
	}
	for i, e := range events {
		if got, want := g.Add(e.get), i < 5; got != want {
			t.Errorf("event %d: Add = %v, want %v", i, got, want)
		}
	}
	jobs := g.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("%d jobs, want 2: %v", len(jobs), jobs)
	}
	j := jobs[0]
	row := j.Row()
	want := [][]string{{"ws1"}, {"{AAAA-1}"}, {"t"}, {`CORP\a`}, {`C:\Windows\System32\notepad.exe`}, {"https://evil.tld/a.exe"},
		{`C:\Users\Public\a.exe`}, nil, {"4096"}, {"99"}, {"102"}, {"60"},
		{"bits_job_from_no_business_process", "executable_download", "external_url"},
		{"3", "59", "60", "16403"}, // sorted as numbers
		{"4"}}
	if len(row) != len(Columns) {
		t.Fatalf("row has %d values, Columns %d", len(row), len(Columns))
	}
	for k := range want {
		if !slices.Equal(row[k], want[k]) {
			t.Errorf("%s = %q, want %q", Columns[k], row[k], want[k])
		}
	}
	if jobs[1].Host != "ws2" || jobs[1].EventCount != 1 {
		t.Errorf("second job %v", jobs[1])
	}
}

// TestBounded: a job's lists stop at maxValues, values at maxValueLen,
// and the Grouper at MaxJobs, counting what it dropped.
func TestBounded(t *testing.T) {
	g := NewGrouper()
	long := string(make([]byte, 3*maxValueLen))
	for i := range 100 {
		g.Add(one("host", "h", "EventCode", "59", "Id", "j", "BitsUrl", fmt.Sprintf("https://x/%d", i), "name", long).get)
	}
	j := g.Jobs()[0]
	if len(j.URLs) != maxValues || len(j.Titles[0]) != maxValueLen || j.EventCount != 100 {
		t.Errorf("URLs %d, title %d bytes, %d events", len(j.URLs), len(j.Titles[0]), j.EventCount)
	}
	g = NewGrouper()
	if g.maxJobs != MaxJobs {
		t.Fatalf("maxJobs %d, want MaxJobs", g.maxJobs)
	}
	g.maxJobs = 100
	for i := range 110 {
		g.Add(one("host", "h", "EventCode", "59", "Id", fmt.Sprint(i)).get)
	}
	if len(g.Jobs()) != 100 || g.Dropped != 10 {
		t.Errorf("%d jobs, %d dropped", len(g.Jobs()), g.Dropped)
	}
}

func TestEarlier(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"99", "100", true}, {"100", "99", false}, {"1614035241.043356", "1614035241.2", true},
		{"2021-02-22T23:07:21Z", "2021-02-22T23:07:22Z", true}, {"2021-02-22T23:07:22Z", "2021-02-22T23:07:21Z", false},
	} {
		if got := earlier(c.a, c.b); got != c.want {
			t.Errorf("earlier(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
