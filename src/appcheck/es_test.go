package appcheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/detect/modes"
)

// riskObject is one entry of action.risk.param._risk.
type riskObject struct {
	RiskObjectField   string `json:"risk_object_field"`
	RiskObjectType    string `json:"risk_object_type"`
	RiskScore         *int   `json:"risk_score"`
	ThreatObjectField string `json:"threat_object_field"`
	ThreatObjectType  string `json:"threat_object_type"`
}

// drilldownSearch is one entry of action.notable.param.drilldown_searches,
// as contentctl writes them.
type drilldownSearch struct {
	Name           string  `json:"name"`
	Search         string  `json:"search"`
	EarliestOffset *string `json:"earliest_offset"`
	LatestOffset   *string `json:"latest_offset"`
}

// storyName is the analytic story every detection and hunt belongs to; it is
// ESCU's name for T1197, so ES shows the app's searches beside ESCU's.
const storyName = "BITS Jobs"

// killChainPhases maps each ATT&CK technique the app annotates to the kill
// chain phases of its tactics, by contentctl's
// ATTACK_TACTICS_KILLCHAIN_MAPPING (Persistence -> Installation, Defense
// Evasion -> Exploitation, Command and Control -> Command and Control).
var killChainPhases = map[string][]string{
	"T1197": {"Exploitation", "Installation"}, // Defense Evasion, Persistence
	"T1105": {"Command and Control"},          // Command and Control
}

// wantThreatTypes are the threat objects every detection names: the command
// line, the URL and the BITS client.
var wantThreatTypes = []string{"process", "url", "process_name"}

// producesField reports whether search yields field in its results: as a
// column of a table, an eval or rex target, or from a macro the app defines
// for it.
func producesField(search, field string) bool {
	q := regexp.QuoteMeta(field)
	return regexp.MustCompile(`\|\s*table\b[^|]*\b`+q+`\b`).MatchString(search) ||
		regexp.MustCompile(`\beval\s+(?:[^|]*,\s*)?`+q+`\s*=`).MatchString(search) ||
		strings.Contains(search, "(?<"+field+">") ||
		(field == "dest" || field == "user") && strings.Contains(search, "`bitsscore_risk_objects`") ||
		field == "bits_job_key" && strings.Contains(search, "`bitsscore_job_key`")
}

// checkValues reports each key whose value differs from want's.
func checkValues(get func(string) string, errorf func(string, ...any), want map[string]string) {
	for key, value := range want {
		if got := get(key); got != value {
			errorf("%s = %q, want %q", key, got, value)
		}
	}
}

// checkEnterpriseSecurity checks the correlation search, notable and risk
// keys of one detection against ESCU's template and ES's enrichment.
func checkEnterpriseSecurity(t *testing.T, s *confStanza) {
	t.Helper()
	get := func(key string) string { v, _ := s.Get(key); return v }
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("savedsearches.conf [%s]: %s", s.Name, fmt.Sprintf(format, args...))
	}
	search := get("search")
	checkValues(get, errorf, map[string]string{
		"action.correlationsearch.label":          s.Name,
		"action.correlationsearch.detection_type": "ebd", // ES 8: event-based detection
		"action.notable":                          "1",
		"action.notable.param.security_domain":    "endpoint",
		"action.notable.param.severity":           "high",
		"action.notable.param.nes_fields":         "dest,user",
		"action.risk":                             "1",
		"action.risk.param._risk_score":           "0",
		"action.risk.param.verbose":               "0",
	})
	for _, key := range []string{"action.notable.param.rule_title", "action.notable.param.rule_description", "action.risk.param._risk_message"} {
		v := get(key)
		if strings.TrimSpace(v) == "" {
			errorf("%s is missing", key)
		}
		if strings.Contains(v, "$host$") || strings.Contains(v, "$User$") {
			errorf("%s names $host$ or $User$; ES enriches $dest$ and $user$", key)
		}
	}

	// Throttling keeps a second job or user on the same host.
	fields := strings.Split(get("alert.suppress.fields"), ",")
	for _, f := range []string{"dest", "user", "bits_job_key"} {
		if !slices.Contains(fields, f) {
			errorf("alert.suppress.fields = %q lacks %s: throttling would drop another job or user on the same host, risk events included", get("alert.suppress.fields"), f)
		} else if !producesField(search, f) {
			errorf("throttles on %s, which the search does not produce", f)
		}
	}

	var annotations map[string]json.RawMessage
	if err := json.Unmarshal([]byte(get("action.correlationsearch.annotations")), &annotations); err != nil {
		errorf("action.correlationsearch.annotations is not a JSON object: %v", err)
		return
	}
	list := func(key string) []string {
		var v []string
		if err := json.Unmarshal(annotations[key], &v); err != nil || len(v) == 0 {
			errorf("annotations %s is not a non-empty list of strings", key)
		}
		return v
	}
	if got := list("analytic_story"); !slices.Equal(got, []string{storyName}) {
		errorf("annotations analytic_story = %q, want [%q]", got, storyName)
	}
	techniques := list("mitre_attack")
	if !slices.Contains(techniques, "T1197") {
		errorf("annotations mitre_attack = %q lacks T1197", techniques)
	}
	var wantPhases []string
	for _, tech := range techniques {
		phases, ok := killChainPhases[tech]
		if !ok {
			errorf("annotations mitre_attack %s: no kill chain mapping in this test; add its tactics", tech)
		}
		wantPhases = append(wantPhases, phases...)
	}
	slices.Sort(wantPhases)
	wantPhases = slices.Compact(wantPhases)
	if got := list("kill_chain_phases"); !slices.Equal(got, wantPhases) {
		errorf("annotations kill_chain_phases = %q, want %q (from %q)", got, wantPhases, techniques)
	}
	if got := list("cis20"); !slices.Equal(got, []string{"CIS 10"}) {
		errorf("annotations cis20 = %q, want [CIS 10] (contentctl's value for the endpoint domain)", got)
	}
	list("nist")

	var risks []riskObject
	if err := json.Unmarshal([]byte(get("action.risk.param._risk")), &risks); err != nil {
		errorf("action.risk.param._risk is not a JSON list of risk objects: %v", err)
		return
	}
	var riskObjects, threatTypes []string
	for _, r := range risks {
		field := r.RiskObjectField
		if field == "" {
			field = r.ThreatObjectField
			threatTypes = append(threatTypes, r.ThreatObjectType)
		} else {
			riskObjects = append(riskObjects, r.RiskObjectField+":"+r.RiskObjectType)
			if r.RiskScore == nil || *r.RiskScore <= 0 || *r.RiskScore > 100 {
				errorf("risk object %s has no risk_score in 1-100", r.RiskObjectField)
			}
		}
		if field == "" || !producesField(search, field) {
			errorf("risk or threat object field %q is not produced by the search", field)
		}
	}
	if slices.Sort(riskObjects); !slices.Equal(riskObjects, []string{"dest:system", "user:user"}) {
		errorf("risk objects = %q, want dest (system) and user (user), which ES's assets and identities enrich", riskObjects)
	}
	for _, want := range wantThreatTypes {
		if !slices.Contains(threatTypes, want) {
			errorf("no %s threat object (want the command line, the URL and the BITS client)", want)
		}
	}
	// A detection with a URL threat object reports downloads: T1105.
	if slices.Contains(threatTypes, "url") && !slices.Contains(techniques, "T1105") {
		errorf("reports download URLs but mitre_attack = %q lacks T1105 (Ingress Tool Transfer)", techniques)
	}

	var drilldowns []drilldownSearch
	if err := json.Unmarshal([]byte(get("action.notable.param.drilldown_searches")), &drilldowns); err != nil {
		errorf("action.notable.param.drilldown_searches is not a JSON list: %v", err)
		return
	}
	var results, riskEvents bool
	for _, d := range drilldowns {
		if len(d.Name) < 5 || strings.TrimSpace(d.Search) == "" || d.EarliestOffset == nil || d.LatestOffset == nil {
			errorf("drilldown %+v lacks a name, search or offsets", d)
			continue
		}
		switch {
		case strings.HasPrefix(d.Search, "index=risk ") && strings.Contains(d.Search, `"$dest$"`) && strings.Contains(d.Search, `"$user$"`):
			riskEvents = *d.EarliestOffset == "604800" // 7 days before the notable
		case strings.Contains(d.Search, `host="$dest$"`) && strings.Contains(d.Search, "| bitsscore"):
			results = true
		}
	}
	if !results || !riskEvents {
		errorf("drilldown_searches want the detection's results on $dest$ (%v) and 7 days of risk events for $dest$ and $user$ (%v)", results, riskEvents)
	}
}

// TestAlertConditions keeps each saved search on the alert test its mode
// documents (modes.AlertCondition, which the CLI and the demo apply too).
func TestAlertConditions(t *testing.T) {
	conf := loadPackage(t).conf(t, "default/savedsearches.conf")
	for stanza, mode := range map[string]string{
		"T1197 BITS Jobs - bitsscore":          modes.SPL,
		"T1197 BITS Jobs - bitsscore hardened": modes.Hardened,
	} {
		s := conf.Stanza(stanza)
		if s == nil {
			t.Fatalf("no [%s]", stanza)
		}
		search, _ := s.Get("search")
		want := "| " + modes.AlertCondition(mode) + "\n"
		if !strings.Contains(search, want) {
			t.Errorf("[%s] does not filter with %q", stanza, want)
		}
	}
}

// splLiteral matches an SPL double-quoted string literal's contents.
const splLiteral = `"((?:[^"\\]|\\.)*)"`

// TestRiskObjectsMacro runs bitsscore_risk_objects' own string literals, as
// regular expressions, over the account names Windows writes: people keep
// their risk, SYSTEM, the service accounts and machine accounts do not.
func TestRiskObjectsMacro(t *testing.T) {
	conf := loadPackage(t).conf(t, "default/macros.conf")
	def := requireValue(t, conf, "macros.conf", "bitsscore_risk_objects", "definition")
	if !strings.HasPrefix(def, "eval dest=host, user=") {
		t.Fatalf("bitsscore_risk_objects does not start with eval dest=host, user=: %q", def)
	}
	strip := regexp.MustCompile(`replace\(coalesce\(User, SubjectUserName, jobOwner, ""\), ` + splLiteral + `, ""\)`).FindStringSubmatch(def)
	if strip == nil {
		t.Fatal("bitsscore_risk_objects: no replace(coalesce(User, SubjectUserName, jobOwner, \"\"), <domain prefix>, \"\")")
	}
	domain := regexp.MustCompile(detect.UnescapeSPLString(strip[1]))
	var dropped []*regexp.Regexp
	for _, m := range regexp.MustCompile(`match\(user, `+splLiteral+`\)`).FindAllStringSubmatch(def, -1) {
		dropped = append(dropped, regexp.MustCompile(detect.UnescapeSPLString(m[1])))
	}
	if len(dropped) == 0 {
		t.Fatal("bitsscore_risk_objects drops no account by match(user, ...)")
	}
	if !strings.Contains(def, `user="" OR user="-"`) {
		t.Error(`bitsscore_risk_objects does not drop empty and "-" users`)
	}
	normalise := func(account string) string {
		user := domain.ReplaceAllString(account, "")
		for _, re := range dropped {
			if re.MatchString(user) {
				return ""
			}
		}
		return user
	}
	for account, want := range map[string]string{
		`NT AUTHORITY\SYSTEM`:          "",
		`SYSTEM`:                       "",
		`NT AUTHORITY\LOCAL SERVICE`:   "",
		`NT AUTHORITY\NETWORK SERVICE`: "",
		`NT AUTHORITY\LocalSystem`:     "",
		`CORP\WS01$`:                   "",
		`WS01$`:                        "",
		`CORP\alice`:                   "alice",
		`bob`:                          "bob",
		`CORP\systemadmin`:             "systemadmin",
		`CORP\svc$backup`:              "svc$backup",
	} {
		if got := normalise(account); got != want {
			t.Errorf("bitsscore_risk_objects: %q gives user %q, want %q", account, got, want)
		}
	}
}

// numberWords spells the small counts the README uses.
var numberWords = []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}

// TestReadmeDescribesSearches keeps app/README.md true to savedsearches.conf:
// it names every saved search, counts the correlation searches right and
// names the risk objects ES receives.
func TestReadmeDescribesSearches(t *testing.T) {
	pkg := loadPackage(t)
	readme := string(pkg.file(t, "README.md"))
	conf := pkg.conf(t, "default/savedsearches.conf")
	correlation := 0
	for _, s := range conf.Stanzas {
		if !strings.Contains(readme, s.Name) {
			t.Errorf("README.md does not name the saved search %q", s.Name)
		}
		if isCorrelationSearch(s) {
			correlation++
		}
	}
	counts := regexp.MustCompile(`(?i)\b(\w+) correlation searches\b`).FindAllStringSubmatch(readme, -1)
	if len(counts) == 0 {
		t.Errorf("README.md does not say how many correlation searches ship (%d)", correlation)
	}
	for _, m := range counts {
		if n := slices.Index(numberWords, strings.ToLower(m[1])); n >= 0 && n != correlation {
			t.Errorf("README.md says %q; there are %d", m[0], correlation)
		}
	}
	for _, want := range []string{"`dest` (system)", "`user` (user)"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not name the risk object %s", want)
		}
	}
	if strings.Contains(readme, "`User` (user)") || strings.Contains(readme, "`host` (system)") {
		t.Error("README.md still names host or User as risk objects")
	}
}
