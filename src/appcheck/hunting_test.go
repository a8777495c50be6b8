package appcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bitsscore/src/detect/hardened"
)

// huntPrefix starts the name of every hunting search.
const huntPrefix = "T1197 BITS Jobs - Hunt - "

// jobTimelineStanza is the saved search over the bitsscore_jobs macro.
const jobTimelineStanza = "T1197 BITS Jobs - Job Timeline"

// jobColumns are the job timeline's columns, in order: the same as
// bitsscore score --jobs prints offline.
var jobColumns = []string{
	"host", "JobId", "JobTitle", "JobOwner", "BitsProcessPath", "BitsUrl", "BitsDestination",
	"BitsNotifyCommand", "BytesTransferred", "FirstSeen", "LastSeen", "RiskScore", "Indicators",
	"EventCodes", "EventCount",
}

// TestHuntingSearches checks that each hunt the story promises exists, looks
// where its description says, and is a plain report: no schedule, notable or
// risk action (TestSavedSearches checks that unscheduled searches carry no
// alert or action keys at all).
func TestHuntingSearches(t *testing.T) {
	conf := loadPackage(t).conf(t, "default/savedsearches.conf")
	hunts := map[string][]string{
		"Rare Job Creators":     {"`bitsscore_bits_client` EventCode=3", "processPath", "dc(dest) AS HostCount", "where HostCount <= `bitsscore_rare_host_count`"},
		"Rare Remote Domains":   {"(EventCode=59 OR EventCode=60 OR EventCode=61) url=*", "dc(host) AS HostCount", "by BitsDomain", "where HostCount <= `bitsscore_rare_host_count`"},
		"Notify Commands":       {"| bitsscore mode=hardened", `"notify_cmdline"`, `"notify_flags"`, `"bits_service_child"`},
		"Upload Jobs":           {"| bitsscore mode=hardened", "^bitsadmin_upload$", "-TransferType"},
		"Unfinished Jobs":       {"`bitsscore_jobs`", `mvfind(EventCodes, "^3$")`, `isnull(mvfind(EventCodes, "^[45]$"))`, "FirstSeen > 86400"},
		"Download Then Execute": {"BitsDestination", "EventCode=1 OR EventCode=4688", "by dest, BitsFile", "LastRunAt >= WrittenAt"},
		"Renamed Bitsadmin":     {`EventCode=1 OriginalFileName="bitsadmin.exe" NOT Image="*\\bitsadmin.exe"`},
		"Low Risk Scores":       {fmt.Sprintf("where RiskScore >= 1 AND RiskScore < %d\n", hardened.AlertThreshold), "`bitsscore_explain_indicators`"},
	}
	for _, s := range conf.Stanzas {
		if !strings.Contains(s.Name, "Hunt") {
			continue
		}
		topic, ok := strings.CutPrefix(s.Name, huntPrefix)
		want, known := hunts[topic]
		if !ok || !known {
			t.Errorf("[%s]: a hunting search this test does not know; add what it must search for", s.Name)
			continue
		}
		delete(hunts, topic)
		search, _ := s.Get("search")
		for _, fragment := range want {
			if !strings.Contains(search, fragment) {
				t.Errorf("[%s] search lacks %q", s.Name, fragment)
			}
		}
		if v, _ := s.Get("enableSched"); isTrue(v) {
			t.Errorf("[%s] is scheduled; hunts are run by hand", s.Name)
		}
	}
	for topic := range hunts {
		t.Errorf("no hunting search [%s%s]", huntPrefix, topic)
	}
}

// tableColumns returns the columns of the last table command in spl.
func tableColumns(spl string) []string {
	i := strings.LastIndex(spl, "| table ")
	if i < 0 {
		return nil
	}
	rest := spl[i+len("| table "):]
	if end := strings.Index(rest, "|"); end >= 0 {
		rest = rest[:end]
	}
	var columns []string
	for _, c := range strings.Split(rest, ",") {
		columns = append(columns, strings.TrimSpace(c))
	}
	return columns
}

// TestJobTimeline: the jobs macro groups scored Bits-Client events by host
// and job id (jobId in 3/4/5/16403, Id in 59/60/61) into exactly the
// columns bitsscore score --jobs prints, and the saved search runs it on
// hardened scores.
func TestJobTimeline(t *testing.T) {
	pkg := loadPackage(t)
	def := requireValue(t, pkg.conf(t, "default/macros.conf"), "macros.conf", "bitsscore_jobs", "definition")
	if got := tableColumns(def); !slices.Equal(got, jobColumns) {
		t.Errorf("bitsscore_jobs columns = %q, want %q", got, jobColumns)
	}
	for _, want := range []string{"EventCode IN (3, 4, 5, 59, 60, 61, 16403)", "coalesce(jobId, Id)", "by host, JobId", "max(RiskScore) AS RiskScore", "values(Indicators) AS Indicators", "count AS EventCount"} {
		if !strings.Contains(def, want) {
			t.Errorf("bitsscore_jobs lacks %q", want)
		}
	}
	s := pkg.conf(t, "default/savedsearches.conf").Stanza(jobTimelineStanza)
	if s == nil {
		t.Fatalf("no [%s]", jobTimelineStanza)
	}
	search, _ := s.Get("search")
	if !strings.HasPrefix(search, "`bitsscore_index` `bitsscore_bits_client`\n| bitsscore mode=hardened\n| `bitsscore_jobs`") {
		t.Errorf("[%s] does not run bitsscore_jobs on hardened Bits-Client events: %q", jobTimelineStanza, search)
	}
}

// macroCall finds `name` and `name(args)` macro calls.
var macroCall = regexp.MustCompile("`([A-Za-z0-9_]+)(?:\\([^`]*\\))?`")

// TestMacrosExist: every macro a saved search or a macro calls is defined
// by the app, with as many arguments as it is called with.
func TestMacrosExist(t *testing.T) {
	pkg := loadPackage(t)
	macros := pkg.conf(t, "default/macros.conf")
	searches := pkg.conf(t, "default/savedsearches.conf")
	check := func(where, spl string) {
		t.Helper()
		checkMacroCalls(t, macros, where, spl)
	}
	for _, s := range searches.Stanzas {
		for _, k := range []string{"search", "action.notable.param.drilldown_searches"} {
			v, _ := s.Get(k)
			check("savedsearches.conf ["+s.Name+"] "+k, v)
		}
	}
	for _, m := range macros.Stanzas {
		v, _ := m.Get("definition")
		check("macros.conf ["+m.Name+"]", v)
	}
}

// checkMacroCalls reports each macro spl calls that macros.conf lacks.
func checkMacroCalls(t *testing.T, macros *confFile, where, spl string) {
	t.Helper()
	for _, m := range macroCall.FindAllStringSubmatch(spl, -1) {
		name := m[1]
		if open := strings.Index(m[0], "("); open >= 0 {
			name = fmt.Sprintf("%s(%d)", name, strings.Count(m[0][open:], ",")+1)
		}
		if macros.Stanza(name) == nil {
			t.Errorf("%s calls `%s`, which macros.conf does not define", where, name)
		}
	}
}
