package hardened

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/hardened.md's indicator table from the rule table")

const (
	docsPath       = "../../../docs/hardened.md"
	tableStartMark = "<!-- indicator table: generated from src/detect/hardened/rules.go; go test ./src/detect/hardened -run TestDocsIndicatorTable -update-docs -->\n"
	tableEndMark   = "<!-- end of the indicator table -->\n"
)

// TestDocsIndicatorTable keeps docs/hardened.md's indicator table equal to
// the one IndicatorTable renders from the rule table.
func TestDocsIndicatorTable(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, tableStartMark)
	end := strings.Index(text, tableEndMark)
	if start < 0 || end < start {
		t.Fatalf("%s: the indicator table's markers are missing", docsPath)
	}
	got := text[start+len(tableStartMark) : end]
	want := IndicatorTable()
	if got == want {
		return
	}
	if *updateDocs {
		text = text[:start+len(tableStartMark)] + want + text[end:]
		if err := os.WriteFile(docsPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the indicator table differs from the rule table; run go test ./src/detect/hardened -run TestDocsIndicatorTable -update-docs", docsPath)
}

// TestIndicatorsAPI: Indicators lists the rule table in order, with the
// fields the app's indicator lookup is generated from.
func TestIndicatorsAPI(t *testing.T) {
	docs := Indicators()
	if len(docs) != len(rules) {
		t.Fatalf("%d indicators, %d rules", len(docs), len(rules))
	}
	for i, d := range docs {
		r := rules[i]
		if d.Name != r.indicatorName() || d.Weight != r.weight || d.Evasion != (r.kind == evasion) || d.Technique != r.technique ||
			d.Description != strings.ReplaceAll(r.description, "`", "") || d.Reference != r.reference {
			t.Errorf("Indicators()[%d] = %+v, rule %s", i, d, r.name)
		}
		if strings.ContainsAny(d.Technique, " ,") || !strings.HasPrefix(d.Technique, "T1197") {
			t.Errorf("%s: Technique %q: T1197 first, IDs joined with ';'", d.Name, d.Technique)
		}
		if strings.Contains(d.Description, "`") {
			t.Errorf("%s: Description holds Markdown code marks: %q", d.Name, d.Description)
		}
	}
}
