package command_test

import (
	"fmt"
	"os"
	"testing"

	"bitsscore/src/internal/testbin"
)

// bitsscoreBin is the binary under test.
var bitsscoreBin string

func TestMain(m *testing.M) {
	bin, cleanup, err := testbin.Bitsscore()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bitsscoreBin = bin
	status := m.Run()
	cleanup()
	os.Exit(status)
}
