package command

import (
	"fmt"

	"bitsscore/src/detect"
)

// NewDetector builds the detector a configuration asks for.
func NewDetector(cfg Config) (detect.Detector, error) {
	switch cfg.Mode {
	case ModeSPL:
		return detect.NewSPL(), nil
	}
	return nil, fmt.Errorf("bitsscore: mode=%s is not available in this build. Syntax: %s", cfg.Mode, Syntax)
}
