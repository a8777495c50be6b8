package appcheck

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// semverPattern is the regular expression semver.org publishes for SemVer 2.0.0.
var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// appIDPattern is what Splunk accepts as an app id (folder name).
var appIDPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]*$`)

// manifest holds the app.manifest fields the checks read.
type manifest struct {
	SchemaVersion string `json:"schemaVersion"`
	Info          struct {
		Title string `json:"title"`
		ID    struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"id"`
		Author []struct {
			Name string `json:"name"`
		} `json:"author"`
		Description    string `json:"description"`
		Classification struct {
			IntendedAudience  string   `json:"intendedAudience"`
			Categories        []string `json:"categories"`
			DevelopmentStatus string   `json:"developmentStatus"`
		} `json:"classification"`
		License struct {
			Name string `json:"name"`
			Text string `json:"text"`
		} `json:"license"`
		ReleaseNotes struct {
			Name string `json:"name"`
			Text string `json:"text"`
		} `json:"releaseNotes"`
	} `json:"info"`
	PlatformRequirements struct {
		Splunk map[string]string `json:"splunk"`
	} `json:"platformRequirements"`
	SupportedDeployments []string `json:"supportedDeployments"`
	TargetWorkloads      []string `json:"targetWorkloads"`
}

func loadManifest(t *testing.T, pkg *appPackage) manifest {
	t.Helper()
	var m manifest
	if err := json.Unmarshal(pkg.file(t, "app.manifest"), &m); err != nil {
		t.Fatalf("app.manifest: %v", err)
	}
	return m
}

// requireValue returns stanza's key, failing the test when the stanza or the
// key is missing or the value is empty.
func requireValue(t *testing.T, conf *confFile, file, stanza, key string) string {
	t.Helper()
	s := conf.Stanza(stanza)
	if s == nil {
		t.Errorf("%s: no [%s]", file, stanza)
		return ""
	}
	v, ok := s.Get(key)
	if !ok || strings.TrimSpace(v) == "" {
		t.Errorf("%s: [%s] %s is missing or empty", file, stanza, key)
	}
	return v
}

func TestIdentityAndVersionsAgree(t *testing.T) {
	pkg := loadPackage(t)
	appConf := pkg.conf(t, "default/app.conf")
	m := loadManifest(t, pkg)

	if !appIDPattern.MatchString(appID) {
		t.Errorf("app id %q: must start with a letter and hold only letters, digits, '.', '_', '-'", appID)
	}
	ids := map[string]string{
		"app.conf [package] id":     requireValue(t, appConf, "app.conf", "package", "id"),
		"app.conf [id] name":        requireValue(t, appConf, "app.conf", "id", "name"),
		"app.manifest info.id.name": m.Info.ID.Name,
	}
	for where, id := range ids {
		if id != appID {
			t.Errorf("%s = %q, want the folder name %q", where, id, appID)
		}
	}

	version := requireValue(t, appConf, "app.conf", "id", "version")
	if !semverPattern.MatchString(version) {
		t.Errorf("app.conf [id] version %q is not valid semver", version)
	}
	versions := map[string]string{
		"app.conf [launcher] version":  requireValue(t, appConf, "app.conf", "launcher", "version"),
		"app.manifest info.id.version": m.Info.ID.Version,
		"tarball name":                 strings.TrimSuffix(strings.TrimPrefix(filepath.Base(pkg.Path), appID+"-"), ".tar.gz"),
	}
	for where, v := range versions {
		if v != version {
			t.Errorf("%s = %q, want app.conf [id] version %q", where, v, version)
		}
	}
}

func TestAppConf(t *testing.T) {
	pkg := loadPackage(t)
	conf := pkg.conf(t, "default/app.conf")

	build := requireValue(t, conf, "app.conf", "install", "build")
	if n, err := strconv.Atoi(build); err != nil || n <= 0 {
		t.Errorf("app.conf [install] build = %q, want a positive integer", build)
	}
	if v := requireValue(t, conf, "app.conf", "install", "is_configured"); v != "false" && v != "0" {
		t.Errorf("app.conf [install] is_configured = %q, want false", v)
	}
	for _, s := range conf.Stanzas {
		if _, ok := s.Get("install_source_checksum"); ok {
			t.Errorf("app.conf [%s] sets install_source_checksum; Splunk writes it on install, never ship it", s.Name)
		}
	}
	requireValue(t, conf, "app.conf", "launcher", "author")
	desc := requireValue(t, conf, "app.conf", "launcher", "description")
	if len(desc) > 200 {
		t.Errorf("app.conf [launcher] description has %d characters, want at most 200", len(desc))
	}
	label := requireValue(t, conf, "app.conf", "ui", "label")
	if n := len([]rune(label)); n < 5 || n > 80 {
		t.Errorf("app.conf [ui] label %q has %d characters, want 5 to 80", label, n)
	}
	if strings.Contains(strings.ToLower(label), "splunk app for") {
		t.Errorf("app.conf [ui] label %q: \"Splunk App for\" is reserved for Splunk's own apps", label)
	}
	visible := requireValue(t, conf, "app.conf", "ui", "is_visible")
	if _, ok := pkg.Files["default/data/ui/nav/default.xml"]; isTrue(visible) && !ok {
		t.Error("app.conf [ui] is_visible, but the app has no default/data/ui/nav/default.xml")
	}
	requireValue(t, conf, "app.conf", "package", "check_for_updates")
	// [triggers] reload.<conf> only concerns an app's own .conf types;
	// Splunk reloads macros and searchbnf by itself.
	if conf.Stanza("triggers") != nil {
		t.Error("app.conf has a [triggers] stanza, which does nothing for the conf files the app ships")
	}
}

func TestManifest(t *testing.T) {
	pkg := loadPackage(t)
	m := loadManifest(t, pkg)
	if m.SchemaVersion != "2.0.0" {
		t.Errorf("schemaVersion = %q, want 2.0.0", m.SchemaVersion)
	}
	for field, v := range map[string]string{
		"info.title":                             m.Info.Title,
		"info.description":                       m.Info.Description,
		"info.classification.intendedAudience":   m.Info.Classification.IntendedAudience,
		"info.classification.developmentStatus":  m.Info.Classification.DevelopmentStatus,
		"info.license.name":                      m.Info.License.Name,
		"info.license.text":                      m.Info.License.Text,
		"info.releaseNotes.name":                 m.Info.ReleaseNotes.Name,
		"info.releaseNotes.text":                 m.Info.ReleaseNotes.Text,
		"platformRequirements.splunk.Enterprise": m.PlatformRequirements.Splunk["Enterprise"],
	} {
		if strings.TrimSpace(v) == "" {
			t.Errorf("app.manifest %s is empty", field)
		}
	}
	if len(m.Info.Author) == 0 || m.Info.Author[0].Name == "" {
		t.Error("app.manifest info.author needs at least one named author")
	}
	if len(m.Info.Classification.Categories) == 0 {
		t.Error("app.manifest info.classification.categories is empty")
	}
	for _, f := range []string{m.Info.License.Text, m.Info.ReleaseNotes.Text} {
		if _, ok := pkg.Files[f]; f != "" && !ok {
			t.Errorf("app.manifest names %s, which the package does not contain", f)
		}
	}
	for _, d := range []string{"_standalone", "_distributed", "_search_head_clustering"} {
		if !containsString(m.SupportedDeployments, d) {
			t.Errorf("app.manifest supportedDeployments lacks %s", d)
		}
	}
	// The command runs on the indexers, but Splunk sends it there in the
	// knowledge bundle: the app is installed on search heads only (as ESCU's
	// manifest says), and app/README.md tells admins so.
	if !slices.Equal(m.TargetWorkloads, []string{"_search_heads"}) {
		t.Errorf("app.manifest targetWorkloads = %q, want [_search_heads]: indexers get the app in the knowledge bundle", m.TargetWorkloads)
	}
}

// chunkedCommandKeys are the only commands.conf keys Splunk honours, and
// AppInspect accepts, for a chunked (protocol v2) command.
var chunkedCommandKeys = regexp.MustCompile(`^(chunked|filename|is_risky|maxwait|maxchunksize|python\.version|command\.arg\.[1-9]\d*)$`)

// commandNamePattern is what Splunk allows as a search command name.
var commandNamePattern = regexp.MustCompile(`^[a-z0-9]+$`)

func TestCommandsConf(t *testing.T) {
	pkg := loadPackage(t)
	conf := pkg.conf(t, "default/commands.conf")
	if len(conf.Stanzas) == 0 {
		t.Fatal("commands.conf defines no command")
	}
	for _, s := range conf.Stanzas {
		if !commandNamePattern.MatchString(s.Name) {
			t.Errorf("commands.conf [%s]: command names are lowercase letters and digits", s.Name)
		}
		if v, _ := s.Get("chunked"); v != "true" {
			t.Errorf("commands.conf [%s] chunked = %q, want true", s.Name, v)
		}
		for _, k := range s.Keys {
			if !chunkedCommandKeys.MatchString(k) {
				t.Errorf("commands.conf [%s] %s: not valid for a chunked command", s.Name, k)
			}
		}
		filename, ok := s.Get("filename")
		if !ok || filename == "" {
			t.Errorf("commands.conf [%s] has no filename", s.Name)
			continue
		}
		// splunkd resolves filename in <platform>/bin first: every platform
		// the app supports must have a file of exactly that name.
		for _, platform := range []string{"linux_x86_64", "darwin_x86_64", "windows_x86_64"} {
			if _, ok := pkg.Files[platform+"/bin/"+filename]; !ok {
				t.Errorf("commands.conf [%s] filename = %s, but %s/bin/%s is missing", s.Name, filename, platform, filename)
			}
		}
	}
	if conf.Stanza(appID) == nil {
		t.Errorf("commands.conf has no [%s]", appID)
	}
}

func TestSearchbnf(t *testing.T) {
	pkg := loadPackage(t)
	conf := pkg.conf(t, "default/searchbnf.conf")
	const stanza = appID + "-command"
	s := conf.Stanza(stanza)
	if s == nil {
		t.Fatalf("searchbnf.conf has no [%s]", stanza)
	}
	for _, key := range []string{"syntax", "shortdesc", "description", "usage", "example1", "comment1", "tags", "related"} {
		requireValue(t, conf, "searchbnf.conf", stanza, key)
	}
	if v, _ := s.Get("usage"); v != "public" {
		t.Errorf("searchbnf.conf [%s] usage = %q, want public", stanza, v)
	}
	for _, k := range s.Keys {
		if n, ok := strings.CutPrefix(k, "example"); ok {
			if _, has := s.Get("comment" + n); !has {
				t.Errorf("searchbnf.conf [%s] %s has no comment%s", stanza, k, n)
			}
		}
	}
	syntax, _ := s.Get("syntax")
	for _, arg := range []string{"mode=", "spl", "hardened", "raw=", "debug="} {
		if !strings.Contains(syntax, arg) {
			t.Errorf("searchbnf.conf [%s] syntax does not document %s", stanza, arg)
		}
	}
	desc, _ := s.Get("description")
	for _, field := range []string{
		"CommandLine", "Image", "IsBitsAdmin", "IsPowerShell", "HasNotify", "HasTransfer", "HasReset",
		"SuspiciousDest", "SuspiciousExt", "ExternalDownload", "SuspicionScore", "RiskScore", "Indicators",
		"mode=spl", "mode=hardened", "raw=", "debug=",
	} {
		if !strings.Contains(desc, field) {
			t.Errorf("searchbnf.conf [%s] description does not document %s", stanza, field)
		}
	}
}

func TestDefaultMeta(t *testing.T) {
	pkg := loadPackage(t)
	conf := pkg.conf(t, "metadata/default.meta")
	global := conf.Stanza("")
	if global == nil {
		t.Fatal("default.meta has no global [] stanza")
	}
	access, _ := global.Get("access")
	if got, want := strings.Join(strings.Fields(access), " "), "read : [ * ], write : [ admin, sc_admin ]"; got != want {
		t.Errorf("default.meta [] access = %q, want %q", access, want)
	}
	// commands and searchbnf: the command runs from any app; macros,
	// transforms and lookups: the drilldowns run in ES's context;
	// analyticstories: ES's Use Case Library reads stories from every app.
	for _, stanza := range []string{"commands", "searchbnf", "macros", "transforms", "lookups", "analyticstories"} {
		if v, _ := requireStanza(t, conf, stanza).Get("export"); v != "system" {
			t.Errorf("default.meta [%s] export = %q, want system", stanza, v)
		}
	}
	for _, s := range conf.Stanzas {
		if v, ok := s.Get("export"); ok && v != "system" && v != "none" {
			t.Errorf("default.meta [%s] export = %q, want system or none", s.Name, v)
		}
	}
}

func requireStanza(t *testing.T, conf *confFile, name string) *confStanza {
	t.Helper()
	s := conf.Stanza(name)
	if s == nil {
		t.Fatalf("no [%s]", name)
	}
	return s
}

// TestReadmeDeclaresBinaries mirrors AppInspect's binary file declaration
// check: the README names every binary the package ships, and names none it
// does not ship.
func TestReadmeDeclaresBinaries(t *testing.T) {
	pkg := loadPackage(t)
	readme := string(pkg.file(t, "README.md"))
	_, section, ok := strings.Cut(readme, "\n# Binary File Declaration\n")
	if !ok {
		t.Fatal("README.md has no \"# Binary File Declaration\" section")
	}
	if next := strings.Index(section, "\n# "); next >= 0 {
		section = section[:next]
	}
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Za-z0-9_./-]*/bin/[A-Za-z0-9_.-]+)`").FindAllStringSubmatch(section, -1) {
		declared[m[1]] = true
	}
	for rel := range pkg.Files {
		if strings.Contains(rel, "/bin/") && !declared[rel] {
			t.Errorf("README.md Binary File Declaration does not name %s", rel)
		}
	}
	for rel := range declared {
		if _, ok := pkg.Files[rel]; !ok {
			t.Errorf("README.md declares %s, which the package does not ship", rel)
		}
	}
	for _, want := range []string{"src/", "Go", "go build"} {
		if !strings.Contains(section, want) {
			t.Errorf("README.md Binary File Declaration does not say %q (where the source is and how it is built)", want)
		}
	}
}
