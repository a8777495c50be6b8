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
	"bitsscore/src/internal/safefile"
)

// LocalKnownGoodName is the customer's own known-good list for
// mode=hardened, in the app's lookups folder. The app does not ship it, so
// an upgrade never overwrites it; bundle replication carries it to the
// indexers with the rest of the app.
const LocalKnownGoodName = "bitsscore_known_good_local.csv"

// MaxKnownGoodBytes bounds a known-good list file. An allow-list of
// thousands of entries takes well under a MiB; the bound keeps a wrong
// file (a log, a disk image) from costing the search its memory.
const MaxKnownGoodBytes = 16 << 20

// NewDetector builds the detector a configuration asks for. In hardened
// mode it uses cfg.KnownGood when set, and otherwise reads the list
// cfg.KnownGoodFile names.
func NewDetector(cfg Config) (detect.Detector, error) {
	switch cfg.Mode {
	case ModeSPL:
		return detect.NewSPL(), nil
	case ModeHardened:
		known := cfg.KnownGood
		if known == nil {
			var err error
			// A path given on the command line may be a symbolic link.
			if known, err = loadKnownGood(cfg.KnownGoodFile, false); err != nil {
				return nil, err
			}
		}
		return hardened.New(known), nil
	}
	return nil, fmt.Errorf("bitsscore: mode=%s is not a mode. Syntax: %s", cfg.Mode, Syntax)
}

// loadKnownGood is the shipped known-good list merged with the customer's
// file at path, when there is one. The file is read only if it is a
// regular file of at most MaxKnownGoodBytes (with noFollow, not through a
// symbolic link). A file that cannot be read or does not parse fails the
// search, naming the file and the line: silently ignoring it would turn
// its entries' events into alerts.
func loadKnownGood(path string, noFollow bool) (*hardened.KnownGood, error) {
	known := hardened.DefaultKnownGood()
	if path == "" {
		return known, nil
	}
	r, err := safefile.Open(path, noFollow, MaxKnownGoodBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return known, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bitsscore: known-good list: %w", err)
	}
	local, err := hardened.ParseKnownGood(r)
	if closeErr := r.Close(); err == nil && closeErr != nil {
		err = closeErr
	}
	if err != nil {
		return nil, fmt.Errorf("bitsscore: %s: %w", path, err)
	}
	merged, err := known.Merge(local)
	if err != nil {
		return nil, fmt.Errorf("bitsscore: %s: %w", path, err)
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
