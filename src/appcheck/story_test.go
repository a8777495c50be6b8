package appcheck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// storyStanza is the analytic story's stanza in analyticstories.conf.
const storyStanza = "analytic_story://" + storyName

// responseEssentials are what every copy of the response guide must tell an
// analyst: how to list every job, where the state database is, how to remove
// one job.
var responseEssentials = []string{
	"bitsadmin /list /allusers /verbose",
	"Get-BitsTransfer -AllUsers",
	`%ALLUSERSPROFILE%\Microsoft\Network\Downloader`,
	"qmgr",
	"BIT*.tmp",
	"bitsadmin /cancel",
	"Remove-BitsTransfer",
	"/reset /allusers",
}

// checkResponseGuide reports each essential that text lacks.
func checkResponseGuide(t *testing.T, where, text string) {
	t.Helper()
	for _, want := range responseEssentials {
		if !strings.Contains(text, want) {
			t.Errorf("%s: the response guide does not say %q", where, want)
		}
	}
}

// jsonList decodes a conf value that holds a JSON list of strings.
func jsonList(t *testing.T, where, value string) []string {
	t.Helper()
	var list []string
	if err := json.Unmarshal([]byte(value), &list); err != nil || len(list) == 0 {
		t.Errorf("%s = %q: want a non-empty JSON list of strings (%v)", where, value, err)
	}
	return list
}

// TestAnalyticStory checks the BITS Jobs story as ES's Use Case Library reads
// it (ESCU's analyticstories.conf, spec_version 3): the story's keys, its
// searches, and one explained [savedsearch://] stanza for each of them.
func TestAnalyticStory(t *testing.T) {
	pkg := loadPackage(t)
	stories := pkg.conf(t, "default/analyticstories.conf")
	searches := pkg.conf(t, "default/savedsearches.conf")
	story := stories.Stanza(storyStanza)
	if story == nil {
		t.Fatalf("analyticstories.conf has no [%s]", storyStanza)
	}
	for _, key := range []string{"category", "version", "maintainers", "description", "narrative"} {
		requireValue(t, stories, "analyticstories.conf", storyStanza, key)
	}
	if v := requireValue(t, stories, "analyticstories.conf", storyStanza, "spec_version"); v != "3" {
		t.Errorf("[%s] spec_version = %q, want 3", storyStanza, v)
	}
	if v := requireValue(t, stories, "analyticstories.conf", storyStanza, "last_updated"); !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(v) {
		t.Errorf("[%s] last_updated = %q, want YYYY-MM-DD", storyStanza, v)
	}
	var maintainers []map[string]string
	if v, _ := story.Get("maintainers"); json.Unmarshal([]byte(v), &maintainers) != nil || len(maintainers) == 0 || maintainers[0]["name"] == "" {
		t.Errorf("[%s] maintainers = %q: want a JSON list of {name, company, email}", storyStanza, v)
	}
	refs, _ := story.Get("references")
	references := jsonList(t, "references", refs)
	if !slices.Contains(references, "https://attack.mitre.org/techniques/T1197/") {
		t.Errorf("[%s] references lack ATT&CK T1197", storyStanza)
	}
	for _, r := range references {
		if !strings.HasPrefix(r, "https://") {
			t.Errorf("[%s] reference %q is not an https URL", storyStanza, r)
		}
	}
	narrative, _ := story.Get("narrative")
	checkResponseGuide(t, "analyticstories.conf narrative", narrative)

	listed, _ := story.Get("searches")
	names := jsonList(t, "searches", listed)
	for _, s := range searches.Stanzas {
		if s.Name != originalSPLStanza && !slices.Contains(names, s.Name) {
			t.Errorf("[%s] searches lacks the saved search %q", storyStanza, s.Name)
		}
	}
	for _, name := range names {
		saved := searches.Stanza(name)
		if saved == nil {
			t.Errorf("[%s] searches names %q, which savedsearches.conf does not define", storyStanza, name)
			continue
		}
		explained := stories.Stanza("savedsearch://" + name)
		if explained == nil {
			t.Errorf("analyticstories.conf has no [savedsearch://%s]", name)
			continue
		}
		checkStorySearch(t, saved, explained)
	}
	for _, s := range stories.Stanzas {
		if name, ok := strings.CutPrefix(s.Name, "savedsearch://"); ok && !slices.Contains(names, name) {
			t.Errorf("analyticstories.conf [%s] is not in the story's searches", s.Name)
		}
	}
}

// checkStorySearch checks one [savedsearch://] stanza against its search.
func checkStorySearch(t *testing.T, saved, explained *confStanza) {
	t.Helper()
	get := func(key string) string { v, _ := explained.Get(key); return v }
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("analyticstories.conf [%s]: "+format, append([]any{explained.Name}, args...)...)
	}
	for _, key := range []string{"explanation", "how_to_implement", "known_false_positives", "asset_type", "confidence"} {
		if strings.TrimSpace(get(key)) == "" {
			errorf("%s is missing", key)
		}
	}
	var mappings map[string][]string
	if err := json.Unmarshal([]byte(get("annotations")), &mappings); err != nil {
		errorf("annotations is not a JSON object of lists: %v", err)
	} else if !slices.Contains(mappings["mitre_attack"], "T1197") {
		errorf("annotations mitre_attack = %q lacks T1197", mappings["mitre_attack"])
	}
	switch get("type") {
	case "detection":
	case "investigation":
		for _, key := range []string{"earliest_time_offset", "latest_time_offset"} {
			if get(key) == "" {
				errorf("an investigation needs %s", key)
			}
		}
	default:
		errorf("type = %q, want detection or investigation", get("type"))
	}
	// A correlation search's mappings are its annotations without the story
	// and the type, as contentctl writes both.
	if isCorrelationSearch(saved) {
		var annotations map[string]any
		v, _ := saved.Get("action.correlationsearch.annotations")
		if err := json.Unmarshal([]byte(v), &annotations); err == nil {
			delete(annotations, "analytic_story")
			delete(annotations, "type")
			want, _ := json.Marshal(annotations)
			got, _ := json.Marshal(mappings)
			if string(got) != string(want) {
				errorf("annotations %s differ from the correlation search's %s", got, want)
			}
		}
	}
}

// TestResponseGuideDoc keeps docs/bits-jobs-response.md complete.
func TestResponseGuideDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "bits-jobs-response.md"))
	if err != nil {
		t.Fatal(err)
	}
	checkResponseGuide(t, "docs/bits-jobs-response.md", string(doc))
}
