package layers

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "bitsscore/src/"

// mayImport is, for each package under src (by its path below src), the
// project packages its non-test code may import. Packages under internal/
// are small leaf helpers anyone may import; they themselves import no
// layer above splcsv. docs/architecture.md explains each line.
var mayImport = map[string][]string{
	"scp":                {},                                                                             // the protocol: nothing of CSV bodies or detection
	"splcsv":             {},                                                                             // chunk CSV: nothing of the protocol or detection
	"detect":             {},                                                                             // the SPL detection: nothing of Splunk's wire formats
	"detect/hardened":    {"detect"},                                                                     // hardened mode
	"detect/modes":       {"detect", "detect/hardened"},                                                  // the modes: builds either detector
	"winevent":           {"splcsv"},                                                                     // Windows event XML and JSON: no detection, no protocol
	"bitsjobs":           {},                                                                             // grouping events into BITS jobs
	"command":            {"scp", "splcsv", "detect", "detect/modes"},                                    // the protocol session: no event format, no CLI
	"splunkd":            {"scp", "splcsv"},                                                              // a test splunkd: no detection
	"cli":                {"splcsv", "scp", "splunkd", "winevent", "detect", "detect/modes", "bitsjobs"}, // no protocol session
	"cmd/bitsscore":      {"command", "cli", "detect", "winevent"},
	"cmd/bitsscore-demo": {"scp", "splunkd", "detect/modes"},
	"cmd/scp-echo":       {"scp"},
	"appcheck":           nil, // tests only
	"golden":             nil, // tests only
}

// internalMayImport is what a package under internal/ may import besides
// other internal packages.
var internalMayImport = []string{"splcsv"}

func TestImportRules(t *testing.T) {
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imports := projectImports(t, src)
	if len(imports) < len(mayImport) {
		t.Fatalf("found %d packages under %s, want at least %d: is this the source tree?", len(imports), src, len(mayImport))
	}
	for pkg, deps := range imports {
		internal := strings.HasPrefix(pkg, "internal/")
		allowed, known := mayImport[pkg]
		if internal {
			allowed, known = internalMayImport, true
		}
		if !known {
			t.Errorf("package %s is not in the layering table: add it to mayImport and to docs/architecture.md", pkg)
			continue
		}
		for _, dep := range deps {
			if strings.HasPrefix(dep, "internal/") || slices.Contains(allowed, dep) {
				continue
			}
			t.Errorf("%s imports %s; it may import only %v (and internal/...)", pkg, dep, allowed)
		}
	}
	for pkg := range mayImport {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("the layering table names %s, which has no Go code any more", pkg)
		}
	}
}

// TestRulesBite checks the rules catch the regressions they exist for.
func TestRulesBite(t *testing.T) {
	for pkg, dep := range map[string]string{"command": "winevent", "cli": "command", "scp": "detect", "detect": "scp", "splcsv": "detect"} {
		if slices.Contains(mayImport[pkg], dep) {
			t.Errorf("the table lets %s import %s", pkg, dep)
		}
	}
}

// projectImports maps each package directory under src to the project
// packages its non-test files import, read with go/parser.
func projectImports(t *testing.T, src string) map[string][]string {
	t.Helper()
	imports := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(src, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		deps := imports[pkg]
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if dep, ok := strings.CutPrefix(p, module); ok && !slices.Contains(deps, dep) {
				deps = append(deps, dep)
			}
		}
		imports[pkg] = deps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports
}
