// Package modes owns bitsscore's detection modes: their names, the one
// place a mode name is checked, the one constructor of a mode's detector and
// the one alert test each mode's saved search applies. The protocol session,
// the CLI, the demo and the app's tests all ask it.
//
// It is a package of its own, beside detect rather than inside it, because
// hardened mode's detector lives in detect/hardened, which imports detect:
// detect cannot import hardened back, and only a package above both can
// build either detector.
package modes

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"bitsscore/src/detect"
	"bitsscore/src/detect/hardened"
	"bitsscore/src/internal/safefile"
)

// Mode names.
const (
	SPL      = "spl"      // the original SPL, value for value (the default)
	Hardened = "hardened" // the SPL's fields plus RiskScore and Indicators
)

// Valid reports whether name is a mode, spelled as the constants spell it.
// Callers that accept other spellings (Splunk's arguments are
// case-insensitive) fold them first.
func Valid(name string) bool { return name == SPL || name == Hardened }

// Options are what a mode's detector is built with besides its mode.
type Options struct {
	// KnownGood, when set, is hardened mode's known-good list already
	// read (a KnownGood is immutable: detectors may share it).
	KnownGood *hardened.KnownGood
	// KnownGoodFile, when KnownGood is nil, names the customer's list
	// merged over the shipped one in hardened mode; an absent file is
	// no list. It may be a symbolic link (see LoadKnownGood).
	KnownGoodFile string
}

// New builds the detector of mode. Each call returns a new detector: a
// detector is not safe for concurrent use.
func New(mode string, opts Options) (detect.Detector, error) {
	switch mode {
	case SPL:
		return detect.NewSPL(), nil
	case Hardened:
		known := opts.KnownGood
		if known == nil {
			var err error
			if known, err = LoadKnownGood(opts.KnownGoodFile, false); err != nil {
				return nil, err
			}
		}
		return hardened.New(known), nil
	}
	return nil, fmt.Errorf("bitsscore: %q is not a mode: use %s or %s", mode, SPL, Hardened)
}

// MaxKnownGoodBytes bounds a known-good list file. An allow-list of
// thousands of entries takes well under a MiB; the bound keeps a wrong
// file (a log, a disk image) from costing the search its memory.
const MaxKnownGoodBytes = 16 << 20

// LoadKnownGood is the shipped known-good list merged with the customer's
// file at path, when there is one. The file is read only if it is a
// regular file of at most MaxKnownGoodBytes (with noFollow, not through a
// symbolic link). A file that cannot be read or does not parse is an
// error naming the file and the line: silently ignoring it would turn its
// entries' events into alerts.
func LoadKnownGood(path string, noFollow bool) (*hardened.KnownGood, error) {
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

// AlertCondition is the SPL filter with which mode's saved search keeps
// its alerts, as the app's savedsearches.conf writes it after `| `.
func AlertCondition(mode string) string {
	if mode == Hardened {
		return "where RiskScore >= " + strconv.Itoa(hardened.AlertThreshold)
	}
	return "where (IsBitsAdmin=1 OR IsPowerShell=1) AND SuspicionScore >= 1"
}

// Alerts reports whether an event passes mode's AlertCondition. field
// returns the event's first value of an output field ("" when null), as
// Splunk's where compares a multivalue field by its values and the
// detector's verdict fields are single-valued.
func Alerts(mode string, field func(name string) string) bool {
	if mode == Hardened {
		risk, err := strconv.Atoi(field("RiskScore"))
		return err == nil && risk >= hardened.AlertThreshold
	}
	score, err := strconv.Atoi(field("SuspicionScore"))
	return err == nil && score >= 1 && (field("IsBitsAdmin") == "1" || field("IsPowerShell") == "1")
}
