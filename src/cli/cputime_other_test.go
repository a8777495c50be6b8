//go:build !unix

package cli

import "time"

func processCPUTime() (time.Duration, bool) { return 0, false }
