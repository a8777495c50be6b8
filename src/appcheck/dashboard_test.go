package appcheck

import (
	"encoding/json"
	"encoding/xml"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The views' JSON is validated against Splunk's own Dashboard Studio schema
// by scripts/validate-dashboards.js (make test runs it); these tests check
// what that schema cannot: that the views are reachable, that every search
// they run names macros, saved searches and lookups the app defines, that
// every panel drills down to events, and that the investigation dashboard
// has the panels it promises.

// studioDefinition is the part of a Dashboard Studio definition the checks read.
type studioDefinition struct {
	Title  string `json:"title"`
	Inputs map[string]struct {
		Type    string `json:"type"`
		Options struct {
			Token string `json:"token"`
		} `json:"options"`
	} `json:"inputs"`
	DataSources map[string]struct {
		Type    string `json:"type"`
		Options struct {
			Query  string `json:"query"`
			Extend string `json:"extend"`
		} `json:"options"`
	} `json:"dataSources"`
	Visualizations map[string]struct {
		Type        string            `json:"type"`
		DataSources map[string]string `json:"dataSources"`
		Options     map[string]any    `json:"options"`
		Handlers    []struct {
			Type    string `json:"type"`
			Options struct {
				Type  string `json:"type"`
				Query string `json:"query"`
			} `json:"options"`
		} `json:"eventHandlers"`
	} `json:"visualizations"`
}

// studioView matches a Dashboard Studio view file: the root element's
// attributes and the CDATA of its definition.
var (
	studioRoot  = regexp.MustCompile(`^\s*<dashboard\b([^>]*)>`)
	studioCDATA = regexp.MustCompile(`(?s)<definition>\s*<!\[CDATA\[(.*?)\]\]>\s*</definition>`)
)

// loadViews returns every shipped view's definition by view name.
func loadViews(t *testing.T, pkg *appPackage) map[string]studioDefinition {
	t.Helper()
	views := map[string]studioDefinition{}
	for rel, data := range pkg.Files {
		dir, file := path.Split(rel)
		if dir != "default/data/ui/views/" || !strings.HasSuffix(file, ".xml") {
			continue
		}
		text := string(data)
		root := studioRoot.FindStringSubmatch(text)
		if root == nil || !strings.Contains(root[1], `version="2"`) {
			t.Errorf("%s: not a Dashboard Studio view (<dashboard version=\"2\">)", rel)
			continue
		}
		if err := xml.Unmarshal(data, new(struct{})); err != nil {
			t.Errorf("%s: not well-formed XML: %v", rel, err)
		}
		cdata := studioCDATA.FindStringSubmatch(text)
		if cdata == nil {
			t.Errorf("%s: no <definition><![CDATA[...]]></definition>", rel)
			continue
		}
		var def studioDefinition
		if err := json.Unmarshal([]byte(cdata[1]), &def); err != nil {
			t.Errorf("%s: the definition is not JSON: %v", rel, err)
			continue
		}
		views[strings.TrimSuffix(file, ".xml")] = def
	}
	if len(views) == 0 {
		t.Fatal("the package ships no Dashboard Studio view")
	}
	return views
}

// navViews returns the views the app's navigation names, and its default.
func navViews(t *testing.T, pkg *appPackage) (names []string, defaultView string) {
	t.Helper()
	var nav struct {
		Views []struct {
			Name    string `xml:"name,attr"`
			Default string `xml:"default,attr"`
		} `xml:"view"`
	}
	if err := xml.Unmarshal(pkg.file(t, "default/data/ui/nav/default.xml"), &nav); err != nil {
		t.Fatalf("default/data/ui/nav/default.xml: %v", err)
	}
	for _, v := range nav.Views {
		names = append(names, v.Name)
		if isTrue(v.Default) {
			defaultView = v.Name
		}
	}
	return names, defaultView
}

// savedSearchCall finds | savedsearch "name" and | savedsearch name.
var savedSearchCall = regexp.MustCompile(`\|\s*savedsearch\s+(?:"([^"]+)"|(\S+))`)

// TestDashboards checks every view's searches and drilldowns against the
// app's macros and saved searches, and that the app's navigation opens them.
func TestDashboards(t *testing.T) {
	pkg := loadPackage(t)
	views := loadViews(t, pkg)
	macros := pkg.conf(t, "default/macros.conf")
	searches := pkg.conf(t, "default/savedsearches.conf")
	nav, defaultView := navViews(t, pkg)
	if _, ok := views[defaultView]; !ok {
		t.Errorf("the navigation's default view %q is not one of the app's views", defaultView)
	}
	for name, def := range views {
		if !slices.Contains(nav, name) {
			t.Errorf("view %s is not in the app's navigation", name)
		}
		if def.Title == "" {
			t.Errorf("view %s has no title", name)
		}
		checkQuery := func(where, spl string) {
			t.Helper()
			checkMacroCalls(t, macros, "view "+name+" "+where, spl)
			for _, m := range savedSearchCall.FindAllStringSubmatch(spl, -1) {
				if searches.Stanza(m[1]+m[2]) == nil {
					t.Errorf("view %s %s runs saved search %q, which the app does not define", name, where, m[1]+m[2])
				}
			}
		}
		for id, ds := range def.DataSources {
			switch ds.Type {
			case "ds.search":
			case "ds.chain":
				if _, ok := def.DataSources[ds.Options.Extend]; !ok {
					t.Errorf("view %s data source %s extends %q, which does not exist", name, id, ds.Options.Extend)
				}
			default:
				t.Errorf("view %s data source %s has type %q, want ds.search or ds.chain", name, id, ds.Type)
			}
			if strings.TrimSpace(ds.Options.Query) == "" {
				t.Errorf("view %s data source %s has no query", name, id)
			}
			checkQuery("data source "+id, ds.Options.Query)
		}
		for id, viz := range def.Visualizations {
			for _, ds := range viz.DataSources {
				if _, ok := def.DataSources[ds]; !ok {
					t.Errorf("view %s %s reads data source %q, which does not exist", name, id, ds)
				}
			}
			if viz.Type == "splunk.markdown" {
				continue
			}
			drills := 0
			for _, h := range viz.Handlers {
				if h.Type == "drilldown.linkToSearch" && h.Options.Type == "custom" && strings.TrimSpace(h.Options.Query) != "" {
					drills++
					checkQuery(id+" drilldown", h.Options.Query)
				}
			}
			if drills == 0 {
				t.Errorf("view %s panel %s has no drilldown to its events (drilldown.linkToSearch with a custom query)", name, id)
			}
		}
	}
}

// TestInvestigationDashboard checks the BITS Job Investigation dashboard
// has the inputs and panels an investigation needs.
func TestInvestigationDashboard(t *testing.T) {
	def, ok := loadViews(t, loadPackage(t))["bits_investigation"]
	if !ok {
		t.Fatal("no default/data/ui/views/bits_investigation.xml")
	}
	var inputs []string
	for _, in := range def.Inputs {
		inputs = append(inputs, in.Type+":"+in.Options.Token)
	}
	for _, want := range []string{"input.timerange:global_time", "input.text:host", "input.text:user"} {
		if !slices.Contains(inputs, want) {
			t.Errorf("no %s input (have %q)", want, inputs)
		}
	}
	var queries []string
	for _, ds := range def.DataSources {
		queries = append(queries, ds.Options.Query)
	}
	all := strings.Join(queries, "\n")
	for what, want := range map[string]string{
		"alerts over time by mode":        "| timechart sum(spl_alert)",
		"hardened alerts over time":       "sum(hardened_alert)",
		"top hosts":                       "by dest | sort 0 - Alerts",
		"top users":                       "by user | sort 0 - Alerts",
		"indicators with their reference": "| lookup bitsscore_indicators indicator OUTPUT",
		"job timeline":                    "`bitsscore_jobs`",
		"rare domains":                    "`bitsscore_bits_domain`",
		"rare creators":                   "EventCode=3 processPath=*",
		"host input":                      `host="$host$"`,
		"user input":                      `search user="$user$"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no data source for %s (%q)", what, want)
		}
	}
	guides := 0
	for _, viz := range def.Visualizations {
		if md, _ := viz.Options["markdown"].(string); viz.Type == "splunk.markdown" && strings.Contains(md, "bitsadmin /list") {
			guides++
			checkResponseGuide(t, "the dashboard's response guide", md)
		}
	}
	if guides != 1 {
		t.Errorf("%d markdown panels hold the response guide, want 1", guides)
	}
}

// TestContentShipped: the package carries the content files, and none of the
// dashboard validator's (package.json, node_modules, scripts).
func TestContentShipped(t *testing.T) {
	pkg := loadPackage(t)
	for _, rel := range []string{
		"default/analyticstories.conf", "default/transforms.conf",
		"default/data/ui/nav/default.xml", "default/data/ui/views/bits_investigation.xml",
		"lookups/bitsscore_indicators.csv", "lookups/bitsscore_known_good.csv",
	} {
		if _, ok := pkg.Files[rel]; !ok {
			t.Errorf("%s/%s is missing", appID, rel)
		}
	}
	for rel := range pkg.Files {
		top, _, _ := strings.Cut(rel, "/")
		switch top {
		case "node_modules", "package.json", "package-lock.json", "scripts", "src", "docs":
			t.Errorf("%s/%s: a build or development file must not ship", appID, rel)
		}
	}
}
