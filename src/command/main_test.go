package command_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bitsscoreBin is the binary under test: $BITSSCORE_BIN (make test builds
// it), or one built here so `go test ./...` works on its own.
var bitsscoreBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if bin := os.Getenv("BITSSCORE_BIN"); bin != "" {
		bitsscoreBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "bitsscore-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bitsscoreBin = filepath.Join(dir, "bitsscore")
	build := exec.Command("go", "build", "-o", bitsscoreBin, "bitsscore/src/cmd/bitsscore")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building bitsscore:", err)
		return 1
	}
	return m.Run()
}
