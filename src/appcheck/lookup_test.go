package appcheck

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"bitsscore/src/detect/hardened"
)

// update rewrites lookups/bitsscore_indicators.csv from the rule table:
//
//	go test ./src/appcheck -run TestIndicatorLookup -update && make package
var update = flag.Bool("update", false, "rewrite lookups/bitsscore_indicators.csv from hardened.Indicators()")

// indicatorLookup is the indicator reference lookup: its transforms.conf
// stanza and its file under lookups/.
const (
	indicatorLookup     = "bitsscore_indicators"
	indicatorLookupFile = "bitsscore_indicators.csv"
)

// indicatorCSV renders hardened.Indicators() as the lookup's CSV.
func indicatorCSV(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	rows := [][]string{{"indicator", "weight", "evasion", "description", "mitre_technique_id", "reference"}}
	for _, d := range hardened.Indicators() {
		rows = append(rows, []string{d.Name, strconv.Itoa(d.Weight), strconv.FormatBool(d.Evasion), d.Description, d.Technique, d.Reference})
	}
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestIndicatorLookup keeps the shipped indicator reference equal to the
// rule table that scores events: the repository's file and the packaged one.
func TestIndicatorLookup(t *testing.T) {
	want := indicatorCSV(t)
	source := filepath.Join(repoRoot(t), "lookups", indicatorLookupFile)
	if *update {
		if err := os.WriteFile(source, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s; run make package before the other tests", source)
	}
	got, err := os.ReadFile(source)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./src/appcheck -run TestIndicatorLookup -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("lookups/%s differs from hardened.Indicators(); regenerate it: go test ./src/appcheck -run TestIndicatorLookup -update", indicatorLookupFile)
	}
	pkg := loadPackage(t)
	if shipped := pkg.file(t, "lookups/"+indicatorLookupFile); !bytes.Equal(shipped, want) {
		t.Errorf("the package's lookups/%s is stale: run make package", indicatorLookupFile)
	}
	transforms := pkg.conf(t, "default/transforms.conf")
	if v := requireValue(t, transforms, "transforms.conf", indicatorLookup, "filename"); v != indicatorLookupFile {
		t.Errorf("transforms.conf [%s] filename = %q, want %s", indicatorLookup, v, indicatorLookupFile)
	}
}

// lookupUse finds the lookup definitions a search reads.
var lookupUse = regexp.MustCompile(`\b(?:input)?lookup\s+(?:[a-z_]+=\S+\s+)*([A-Za-z0-9_]+)`)

// TestLookupsExist: every lookup a saved search, a macro or a view reads is a
// transforms.conf definition whose file the package ships.
func TestLookupsExist(t *testing.T) {
	pkg := loadPackage(t)
	transforms := pkg.conf(t, "default/transforms.conf")
	var texts []string
	for _, s := range pkg.conf(t, "default/savedsearches.conf").Stanzas {
		v, _ := s.Get("search")
		d, _ := s.Get("action.notable.param.drilldown_searches")
		texts = append(texts, v, d)
	}
	for _, s := range pkg.conf(t, "default/macros.conf").Stanzas {
		v, _ := s.Get("definition")
		texts = append(texts, v)
	}
	for rel, data := range pkg.Files {
		if filepath.Dir(rel) == "default/data/ui/views" {
			texts = append(texts, string(data))
		}
	}
	used := 0
	for _, text := range texts {
		for _, m := range lookupUse.FindAllStringSubmatch(text, -1) {
			used++
			s := transforms.Stanza(m[1])
			if s == nil {
				t.Errorf("%q reads lookup %s, which transforms.conf does not define", m[0], m[1])
				continue
			}
			file, _ := s.Get("filename")
			if _, ok := pkg.Files["lookups/"+file]; !ok {
				t.Errorf("transforms.conf [%s] names lookups/%s, which the package does not ship", m[1], file)
			}
		}
	}
	if used == 0 {
		t.Error("no search reads a lookup; the pattern or the searches changed")
	}
}
