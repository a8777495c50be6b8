package appcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// make lint runs the staticcheck the Makefile pins, whatever is installed:
// a missing binary or one of another version is reinstalled, the pinned
// one is left alone. A stand-in go records what make asks of it, and its
// "install" writes a staticcheck that reports the version it was asked for.
func TestMakefileEnforcesStaticcheckVersion(t *testing.T) {
	root := repoRoot(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^STATICCHECK_VERSION\s*:=\s*v(\S+)$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile pins no STATICCHECK_VERSION")
	}
	pinned := string(m[1])

	for _, tt := range []struct {
		name      string
		installed string // what the staticcheck in place reports; "" for none
		install   bool
	}{
		{"missing", "", true},
		{"another version", "staticcheck 2025.1.1 (0.6.1)", true},
		{"a version that contains the pin", "staticcheck 2030.1 (1" + pinned + ")", true},
		{"the pinned version", "staticcheck 2026.2.2 (" + pinned + ")", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			staticcheck := filepath.Join(bin, "staticcheck")
			calls := filepath.Join(dir, "go-calls")
			if tt.installed != "" {
				writeScript(t, staticcheck, "echo '"+tt.installed+"'\n")
			}
			// The stand-in go: "env GOPATH" answers, "install pkg@vX"
			// writes a staticcheck reporting X into $GOBIN.
			writeScript(t, filepath.Join(dir, "go"), `echo "$*" >>`+calls+`
case "$1" in
env) echo `+dir+` ;;
install) v=${2##*@v}; mkdir -p "$GOBIN"; printf '#!/bin/sh\necho "staticcheck 2099.1 (%s)"\n' "$v" >"$GOBIN/staticcheck"; chmod +x "$GOBIN/staticcheck" ;;
esac
`)
			cmd := exec.Command("make", "-s", "-C", root, "staticcheck", "GO="+filepath.Join(dir, "go"), "STATICCHECK="+staticcheck)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make staticcheck: %v\n%s", err, out)
			}
			log, _ := os.ReadFile(calls)
			installed := strings.Contains(string(log), "install honnef.co/go/tools/cmd/staticcheck@v"+pinned)
			if installed != tt.install {
				t.Errorf("staticcheck %q: installed %t, want %t; go was asked:\n%s\nmake said:\n%s", tt.installed, installed, tt.install, log, out)
			}
			version, err := exec.Command(staticcheck, "-version").Output()
			if err != nil || !strings.Contains(string(version), "("+pinned+")") {
				t.Errorf("after make, staticcheck reports %q (%v), want (%s)", version, err, pinned)
			}
		})
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}
