// Package testbin gives end-to-end tests the bitsscore binary to run:
// $BITSSCORE_BIN when set (make test builds it once for every package),
// otherwise one built for the test run, so `go test ./...` works alone.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Bitsscore returns the path of the binary under test and a function that
// removes what it built.
func Bitsscore() (path string, cleanup func(), err error) {
	if bin := os.Getenv("BITSSCORE_BIN"); bin != "" {
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "bitsscore-test")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "bitsscore")
	if out, err := exec.Command("go", "build", "-o", path, "bitsscore/src/cmd/bitsscore").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building bitsscore: %v\n%s", err, out)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// Main is a TestMain for packages whose tests run the binary: it sets *bin,
// runs the tests and cleans up. It does not return.
func Main(m *testing.M, bin *string) {
	path, cleanup, err := Bitsscore()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = path
	status := m.Run()
	cleanup()
	os.Exit(status)
}
