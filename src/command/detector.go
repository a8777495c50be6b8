package command

import (
	"os"
	"path/filepath"
	"strings"

	"bitsscore/src/detect"
	"bitsscore/src/detect/modes"
)

// LocalKnownGoodName is the customer's own known-good list for
// mode=hardened, in the app's lookups folder. The app does not ship it, so
// an upgrade never overwrites it; bundle replication carries it to the
// indexers with the rest of the app.
const LocalKnownGoodName = "bitsscore_known_good_local.csv"

// localKnownGoodPath finds the customer's list beside the running binary:
// Splunk runs <app>/<platform>/bin/bitsscore or <app>/bin/bitsscore, on a
// search head from etc/apps and on an indexer from the replicated bundle.
func localKnownGoodPath() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	dir := filepath.Dir(exe) // .../bin
	if filepath.Base(dir) != "bin" {
		return "" // not installed in an app (a development build): no local list
	}
	app := filepath.Dir(dir)
	if platform := filepath.Base(app); strings.Contains(platform, "_x86") {
		app = filepath.Dir(app) // linux_x86_64/bin, windows_x86_64/bin, ...
	}
	return filepath.Join(app, "lookups", LocalKnownGoodName)
}

// newDetector builds the detector of cfg's mode: modes.New, the one
// constructor, with cfg's detection options.
func newDetector(cfg Config) (detect.Detector, error) { return modes.New(cfg.Mode, cfg.Detection) }
