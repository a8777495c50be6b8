package appcheck

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxRunsPerHour is the most a shipped scheduled search may run in an hour.
const maxRunsPerHour = 12

// cronMinutes returns how many distinct minutes of an hour the minute field
// of a five-field cron expression selects.
func cronMinutes(expr string) (int, error) {
	minutes, err := cronMinuteSet(expr)
	return len(minutes), err
}

// cronMinuteSet returns the minutes of an hour the minute field of a
// five-field cron expression selects. It accepts what Splunk's cron accepts
// in that field: "*", "N", "A-B", each optionally "/step", in a
// comma-separated list.
func cronMinuteSet(expr string) (map[int]bool, error) {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("cron %q: want 5 fields, got %d", expr, len(fields))
	}
	minutes := map[int]bool{}
	for _, item := range strings.Split(fields[0], ",") {
		rangePart, stepPart, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepPart)
			if err != nil || n < 1 || n > 59 {
				return nil, fmt.Errorf("cron %q: bad step %q", expr, stepPart)
			}
			step = n
		}
		lo, hi := 0, 59
		switch {
		case rangePart == "*":
		case strings.Contains(rangePart, "-"):
			a, b, _ := strings.Cut(rangePart, "-")
			var errA, errB error
			lo, errA = strconv.Atoi(a)
			hi, errB = strconv.Atoi(b)
			if errA != nil || errB != nil || lo > hi {
				return nil, fmt.Errorf("cron %q: bad range %q", expr, rangePart)
			}
		default:
			n, err := strconv.Atoi(rangePart)
			if err != nil {
				return nil, fmt.Errorf("cron %q: bad minute %q", expr, rangePart)
			}
			lo = n
			if !hasStep {
				hi = n // "N" alone is one minute; "N/step" runs from N to 59
			}
		}
		if lo < 0 || hi > 59 {
			return nil, fmt.Errorf("cron %q: minute out of 0-59 in %q", expr, item)
		}
		for m := lo; m <= hi; m += step {
			minutes[m] = true
		}
	}
	return minutes, nil
}

func TestCronMinutes(t *testing.T) {
	for expr, want := range map[string]int{
		"*/15 * * * *":         4,
		"*/5 * * * *":          12,
		"*/4 * * * *":          15,
		"* * * * *":            60,
		"0 * * * *":            1,
		"5,20,35,50 * * * *":   4,
		"0-10 * * * *":         11,
		"10-40/10 * * * *":     4,
		"7/15 * * * *":         4,
		"0,0,30 */2 * * *":     2,
		"0-59/30,15 * * * 1-5": 3,
	} {
		got, err := cronMinutes(expr)
		if err != nil || got != want {
			t.Errorf("cronMinutes(%q) = %d, %v; want %d", expr, got, err, want)
		}
	}
	for _, bad := range []string{"*/15 * * *", "*/0 * * * *", "60 * * * *", "a * * * *", "10-5 * * * *", "@hourly"} {
		if _, err := cronMinutes(bad); err == nil {
			t.Errorf("cronMinutes(%q) accepted a bad expression", bad)
		}
	}
}

// emailAddress finds anything shaped like an e-mail address.
var emailAddress = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)

// sortCommand finds each sort command of a search and what follows it.
var sortCommand = regexp.MustCompile(`\|\s*sort\s+(\S+)`)

// isTrue reports whether a conf value is one of Splunk's true spellings.
func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "t", "yes", "y":
		return true
	}
	return false
}

// isCorrelationSearch reports whether a stanza is an ES correlation search.
func isCorrelationSearch(s *confStanza) bool {
	v, _ := s.Get("action.correlationsearch.enabled")
	return isTrue(v)
}

// TestSavedSearches holds every shipped saved search to AppInspect's and
// ESCU's rules, and to the project's: everything ships disabled, dispatches
// in this app, sorts without the 10,000-result cap and carries no e-mail or
// script action; every scheduled search is a correlation search that runs
// continuously on its own minutes.
func TestSavedSearches(t *testing.T) {
	pkg := loadPackage(t)
	raw := string(pkg.file(t, "default/savedsearches.conf"))
	if m := emailAddress.FindString(raw); m != "" {
		t.Errorf("savedsearches.conf contains an e-mail address %q", m)
	}
	conf := pkg.conf(t, "default/savedsearches.conf")
	scheduled := 0
	startMinutes := map[int]string{}
	for _, s := range conf.Stanzas {
		get := func(key string) string { v, _ := s.Get(key); return v }
		errorf := func(format string, args ...any) {
			t.Helper()
			t.Errorf("savedsearches.conf [%s]: %s", s.Name, fmt.Sprintf(format, args...))
		}
		for _, k := range s.Keys {
			if strings.HasPrefix(k, "action.script") {
				errorf("%s: script alert actions must not ship", k)
			}
			if k == "action.email.to" && get(k) != "" {
				errorf("action.email.to is set")
			}
		}
		search := get("search")
		if strings.TrimSpace(search) == "" {
			errorf("empty search")
		}
		if strings.TrimSpace(get("description")) == "" {
			errorf("no description")
		}
		if !isTrue(get("disabled")) {
			errorf("disabled = %q; everything ships disabled = 1", get("disabled"))
		}
		if get("request.ui_dispatch_app") != appID {
			errorf("request.ui_dispatch_app = %q, want %s (the macros and lookups are this app's)", get("request.ui_dispatch_app"), appID)
		}
		// sort without a count keeps 10,000 results. The original SPL is
		// verbatim and so keeps its own sort.
		if s.Name != originalSPLStanza {
			for _, m := range sortCommand.FindAllStringSubmatch(search, -1) {
				if _, err := strconv.Atoi(m[1]); err != nil {
					errorf("%q has no count: it drops every result after 10,000; write sort 0", m[0])
				}
			}
		}
		if _, ok := s.Get("action.notable.param.drilldown_search"); ok {
			errorf("the legacy drilldown_search is set; ES reads drilldown_searches")
		}
		if !isTrue(get("enableSched")) {
			for _, k := range s.Keys {
				if strings.HasPrefix(k, "alert.") || strings.HasPrefix(k, "action.") || k == "cron_schedule" {
					errorf("%s is set on an unscheduled search", k)
				}
			}
			continue
		}
		scheduled++
		for _, key := range []string{"dispatch.earliest_time", "dispatch.latest_time"} {
			v := get(key)
			if v == "" {
				errorf("%s is missing", key)
			}
			if strings.HasPrefix(v, "rt") {
				errorf("%s = %q: real-time searches must not ship", key, v)
			}
		}
		minutes, err := cronMinuteSet(get("cron_schedule"))
		switch {
		case err != nil:
			errorf("%v", err)
		case len(minutes) > maxRunsPerHour:
			errorf("cron_schedule %q runs %d times an hour, want at most %d", get("cron_schedule"), len(minutes), maxRunsPerHour)
		case get("allow_skew") == "":
			// Without allow_skew, staggered minutes are what keeps the
			// app's searches from starting together.
			for m := range minutes {
				if other, taken := startMinutes[m]; taken {
					errorf("starts on minute %d like [%s]: stagger the minutes or set allow_skew", m, other)
				}
				startMinutes[m] = s.Name
			}
		}
		if minutes[0] {
			errorf("cron_schedule %q starts on minute 0, with every hourly search of the deployment", get("cron_schedule"))
		}
		checkValues(get, errorf, map[string]string{
			// Continuous scheduling: a delayed run is run late, not skipped.
			"realtime_schedule": "0",
			"counttype":         "number of events",
			"relation":          "greater than",
			"quantity":          "0",
			// One Triggered Alert per run, not one per result beside ES's
			// one notable per result.
			"alert.track":       "1",
			"alert.digest_mode": "1",
			"alert.suppress":    "1",
		})
		if get("alert.suppress.period") == "" {
			errorf("alert.suppress.period is missing")
		}
		if n, err := strconv.Atoi(get("alert.severity")); err != nil || n < 1 || n > 6 {
			errorf("alert.severity = %q, want 1-6", get("alert.severity"))
		}
		if !isCorrelationSearch(s) {
			errorf("scheduled but not a correlation search")
			continue
		}
		checkEnterpriseSecurity(t, s)
	}
	if scheduled == 0 {
		t.Error("savedsearches.conf has no scheduled search")
	}
}

// TestOriginalSPLIsAReport: the verbatim original must not be a second
// correlation search beside the bitsscore one, which would double every
// notable and risk event.
func TestOriginalSPLIsAReport(t *testing.T) {
	s := loadPackage(t).conf(t, "default/savedsearches.conf").Stanza(originalSPLStanza)
	if s == nil {
		t.Fatalf("savedsearches.conf has no [%s]", originalSPLStanza)
	}
	if v, _ := s.Get("enableSched"); isTrue(v) {
		t.Errorf("[%s] is scheduled; it is a reference report", originalSPLStanza)
	}
	for _, k := range s.Keys {
		if strings.HasPrefix(k, "action.") || strings.HasPrefix(k, "alert.") {
			t.Errorf("[%s] sets %s; a reference report has no alert, notable or risk action", originalSPLStanza, k)
		}
	}
}
