package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"bitsscore/src/detect"
	"bitsscore/src/detect/hardened"
)

// LocalKnownGoodName is the customer's own known-good list for
// mode=hardened, in the app's lookups folder. The app does not ship it, so
// an upgrade never overwrites it; bundle replication carries it to the
// indexers with the rest of the app.
const LocalKnownGoodName = "bitsscore_known_good_local.csv"

// NewDetector builds the detector a configuration asks for.
func NewDetector(cfg Config) (detect.Detector, error) {
	switch cfg.Mode {
	case ModeSPL:
		return detect.NewSPL(), nil
	case ModeHardened:
		known, err := knownGood(cfg.KnownGoodFile)
		if err != nil {
			return nil, err
		}
		return hardened.New(known), nil
	}
	return nil, fmt.Errorf("bitsscore: mode=%s is not a mode. Syntax: %s", cfg.Mode, Syntax)
}

// knownGood is the shipped known-good list merged with the customer's file,
// when there is one. A file that does not parse fails the search, with its
// line: silently ignoring it would turn its entries' events into alerts.
func knownGood(path string) (*hardened.KnownGood, error) {
	known := hardened.DefaultKnownGood()
	if path == "" {
		return known, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return known, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bitsscore: %v", err)
	}
	defer f.Close()
	local, err := hardened.ParseKnownGood(f)
	if err != nil {
		return nil, fmt.Errorf("bitsscore: %s: %v", path, err)
	}
	merged, err := known.Merge(local)
	if err != nil {
		return nil, fmt.Errorf("bitsscore: %s: %v", path, err)
	}
	return merged, nil
}

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
