package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The version the binary prints is the app's: app.conf's [id] and
// [launcher] versions (the app checks keep those equal to the manifest's).
func TestAppVersionMatchesAppConf(t *testing.T) {
	conf, err := os.ReadFile("../../default/app.conf")
	if err != nil {
		t.Fatalf("app.conf missing: %v", err)
	}
	versions := regexp.MustCompile(`(?m)^version\s*=\s*(\S+)\s*$`).FindAllStringSubmatch(string(conf), -1)
	if len(versions) == 0 {
		t.Fatal("app.conf has no version")
	}
	for _, v := range versions {
		if v[1] != AppVersion {
			t.Errorf("app.conf says version %s, the binary says %s", v[1], AppVersion)
		}
	}
	if !strings.HasPrefix(Version(), "bitsscore "+AppVersion) {
		t.Errorf("Version() = %q", Version())
	}
}
