package hardened

import (
	"regexp"
	"strings"
	"testing"
)

// attackIDs is one or more ATT&CK technique IDs joined by ";".
var attackIDs = regexp.MustCompile(`^T\d{4}(\.\d{3})?(;T\d{4}(\.\d{3})?)*$`)

func TestIndicatorsDocumentEveryIndicator(t *testing.T) {
	docs := Indicators()
	if len(docs) != int(numIndicators) {
		t.Fatalf("Indicators() has %d entries, the catalogue %d", len(docs), numIndicators)
	}
	seen := map[string]bool{}
	for i, d := range docs {
		info := indicators[i]
		if d.Name != info.name || d.Weight != info.weight || d.Evasion != info.evasion {
			t.Errorf("entry %d = %s/%d/%v, the catalogue has %s/%d/%v", i, d.Name, d.Weight, d.Evasion, info.name, info.weight, info.evasion)
		}
		if seen[d.Name] {
			t.Errorf("%s documented twice", d.Name)
		}
		seen[d.Name] = true
		if len(d.Description) < 20 || !strings.HasSuffix(d.Description, ".") && !strings.HasSuffix(d.Description, "...") {
			t.Errorf("%s: description %q is not a sentence", d.Name, d.Description)
		}
		if !attackIDs.MatchString(d.Technique) || !strings.HasPrefix(d.Technique, "T1197") {
			t.Errorf("%s: technique %q, want T1197 first, IDs joined by ;", d.Name, d.Technique)
		}
		if strings.TrimSpace(d.Reference) == "" {
			t.Errorf("%s: no reference", d.Name)
		}
		// An evasion indicator says so, for the analyst reading the lookup.
		if d.Evasion != strings.Contains(d.Description, "evasion") {
			t.Errorf("%s: evasion %v but the description %q says otherwise", d.Name, d.Evasion, d.Description)
		}
	}
}
