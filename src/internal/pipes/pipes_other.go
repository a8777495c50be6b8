//go:build !linux

package pipes

import "os"

func grow(*os.File, int) (int, error) { return 0, ErrUnsupported }

func size(*os.File) (int, error) { return 0, ErrUnsupported }
