package hardened

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestDocsIndicatorTable keeps docs/hardened.md's indicator table equal to
// the catalogue: every indicator documented once, with its weight.
func TestDocsIndicatorTable(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/hardened.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]int{}
	inTable := false
	for line := range strings.SplitSeq(string(doc), "\n") {
		if strings.HasPrefix(line, "| indicator | weight |") {
			inTable = true
			continue
		}
		if inTable && !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		if !inTable || len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		weight, err := strconv.Atoi(strings.TrimSpace(cells[2]))
		if err != nil {
			t.Errorf("docs: %s: weight %q", name, cells[2])
		}
		if _, dup := documented[name]; dup {
			t.Errorf("docs: %s documented twice", name)
		}
		documented[name] = weight
	}
	for i := range numIndicators {
		info := indicators[i]
		w, ok := documented[info.name]
		switch {
		case !ok:
			t.Errorf("docs: %s is not documented", info.name)
		case w != info.weight:
			t.Errorf("docs: %s has weight %d, the code %d", info.name, w, info.weight)
		}
		delete(documented, info.name)
	}
	for name := range documented {
		t.Errorf("docs: %s is documented but is not an indicator", name)
	}
}
