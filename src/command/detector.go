package command

import (
	"fmt"

	"bitsscore/src/detect"
	"bitsscore/src/detect/hardened"
)

// NewDetector builds the detector a configuration asks for.
func NewDetector(cfg Config) (detect.Detector, error) {
	switch cfg.Mode {
	case ModeSPL:
		return detect.NewSPL(), nil
	case ModeHardened:
		return hardened.New(nil), nil
	}
	return nil, fmt.Errorf("bitsscore: mode=%s is not a mode. Syntax: %s", cfg.Mode, Syntax)
}
