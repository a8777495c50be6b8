package appcheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxRunsPerHour is the most a shipped scheduled search may run in an hour.
const maxRunsPerHour = 12

// cronMinutes returns how many distinct minutes of an hour the minute field
// of a five-field cron expression selects. It accepts what Splunk's cron
// accepts in that field: "*", "N", "A-B", each optionally "/step", in a
// comma-separated list.
func cronMinutes(expr string) (int, error) {
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return 0, fmt.Errorf("cron %q: want 5 fields, got %d", expr, len(fields))
	}
	minutes := map[int]bool{}
	for _, item := range strings.Split(fields[0], ",") {
		rangePart, stepPart, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepPart)
			if err != nil || n < 1 || n > 59 {
				return 0, fmt.Errorf("cron %q: bad step %q", expr, stepPart)
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
				return 0, fmt.Errorf("cron %q: bad range %q", expr, rangePart)
			}
		default:
			n, err := strconv.Atoi(rangePart)
			if err != nil {
				return 0, fmt.Errorf("cron %q: bad minute %q", expr, rangePart)
			}
			lo = n
			if !hasStep {
				hi = n // "N" alone is one minute; "N/step" runs from N to 59
			}
		}
		if lo < 0 || hi > 59 {
			return 0, fmt.Errorf("cron %q: minute out of 0-59 in %q", expr, item)
		}
		for m := lo; m <= hi; m += step {
			minutes[m] = true
		}
	}
	return len(minutes), nil
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

// riskObject is one entry of action.risk.param._risk.
type riskObject struct {
	RiskObjectField   string `json:"risk_object_field"`
	RiskObjectType    string `json:"risk_object_type"`
	RiskScore         *int   `json:"risk_score"`
	ThreatObjectField string `json:"threat_object_field"`
	ThreatObjectType  string `json:"threat_object_type"`
}

// TestSavedSearches holds every shipped scheduled search to AppInspect's and
// ESCU's rules, and to the project's: each is also an ES correlation search
// for T1197 with notable and risk actions.
func TestSavedSearches(t *testing.T) {
	pkg := loadPackage(t)
	raw := string(pkg.file(t, "default/savedsearches.conf"))
	if m := emailAddress.FindString(raw); m != "" {
		t.Errorf("savedsearches.conf contains an e-mail address %q", m)
	}
	conf := pkg.conf(t, "default/savedsearches.conf")
	scheduled := 0
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
		if strings.TrimSpace(get("search")) == "" {
			errorf("empty search")
		}
		if get("enableSched") != "1" && get("enableSched") != "true" {
			continue
		}
		scheduled++
		if strings.TrimSpace(get("description")) == "" {
			errorf("no description")
		}
		if get("disabled") != "1" && get("disabled") != "true" {
			errorf("disabled = %q; detections ship disabled = 1", get("disabled"))
		}
		for _, key := range []string{"dispatch.earliest_time", "dispatch.latest_time"} {
			v := get(key)
			if v == "" {
				errorf("%s is missing", key)
			}
			if strings.HasPrefix(v, "rt") {
				errorf("%s = %q: real-time searches must not ship", key, v)
			}
		}
		if runs, err := cronMinutes(get("cron_schedule")); err != nil {
			errorf("%v", err)
		} else if runs > maxRunsPerHour {
			errorf("cron_schedule %q runs %d times an hour, want at most %d", get("cron_schedule"), runs, maxRunsPerHour)
		}
		for key, want := range map[string]string{
			"counttype":             "number of events",
			"relation":              "greater than",
			"quantity":              "0",
			"alert.track":           "1",
			"alert.suppress":        "1",
			"alert.suppress.fields": "host",
			"alert.digest_mode":     "0",
		} {
			if got := get(key); got != want {
				errorf("%s = %q, want %q", key, got, want)
			}
		}
		if get("alert.suppress.period") == "" {
			errorf("alert.suppress.period is missing")
		}
		if n, err := strconv.Atoi(get("alert.severity")); err != nil || n < 1 || n > 6 {
			errorf("alert.severity = %q, want 1-6", get("alert.severity"))
		}
		checkEnterpriseSecurity(t, s)
	}
	if scheduled == 0 {
		t.Error("savedsearches.conf has no scheduled search")
	}
}

// checkEnterpriseSecurity checks the correlation search, notable and risk
// keys of one scheduled detection.
func checkEnterpriseSecurity(t *testing.T, s *confStanza) {
	t.Helper()
	get := func(key string) string { v, _ := s.Get(key); return v }
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("savedsearches.conf [%s]: %s", s.Name, fmt.Sprintf(format, args...))
	}
	if get("action.correlationsearch.enabled") != "1" {
		errorf("action.correlationsearch.enabled = %q, want 1", get("action.correlationsearch.enabled"))
	}
	if get("action.correlationsearch.label") == "" {
		errorf("action.correlationsearch.label is missing")
	}
	var annotations map[string][]string
	if err := json.Unmarshal([]byte(get("action.correlationsearch.annotations")), &annotations); err != nil {
		errorf("action.correlationsearch.annotations is not a JSON object of lists: %v", err)
	} else if !containsString(annotations["mitre_attack"], "T1197") {
		errorf("action.correlationsearch.annotations mitre_attack = %q, want T1197", annotations["mitre_attack"])
	}
	for key, want := range map[string]string{
		"action.notable":                       "1",
		"action.notable.param.security_domain": "endpoint",
		"action.notable.param.severity":        "high",
		"action.risk":                          "1",
	} {
		if got := get(key); got != want {
			errorf("%s = %q, want %q", key, got, want)
		}
	}
	for _, key := range []string{
		"action.notable.param.rule_title", "action.notable.param.rule_description",
		"action.notable.param.drilldown_name", "action.notable.param.drilldown_search",
		"action.risk.param._risk_message",
	} {
		if strings.TrimSpace(get(key)) == "" {
			errorf("%s is missing", key)
		}
	}
	var risks []riskObject
	if err := json.Unmarshal([]byte(get("action.risk.param._risk")), &risks); err != nil {
		errorf("action.risk.param._risk is not a JSON list of risk objects: %v", err)
		return
	}
	// Every detection names the host as a system and a user field as a user;
	// the user field differs by data source (User in Sysmon, a coalesced
	// user in the hardened search), so it is accepted when the search's
	// results carry it.
	hasSystemHost, userField := false, ""
	for _, r := range risks {
		if r.RiskObjectField == "" {
			continue // a threat object
		}
		switch {
		case r.RiskObjectField == "host" && r.RiskObjectType == "system":
			hasSystemHost = true
		case r.RiskObjectType == "user":
			userField = r.RiskObjectField
		}
		if r.RiskScore == nil || *r.RiskScore <= 0 || *r.RiskScore > 100 {
			errorf("risk object %s has no risk_score in 1-100", r.RiskObjectField)
		}
	}
	if !hasSystemHost {
		errorf("action.risk.param._risk lacks host as a system risk object")
	}
	switch search := get("search"); {
	case userField == "":
		errorf("action.risk.param._risk lacks a user risk object")
	case !regexp.MustCompile(`\| *table\b[^|]*\b` + regexp.QuoteMeta(userField) + `\b`).MatchString(search):
		errorf("the user risk object %s is not a column of the search's table", userField)
	}
}
