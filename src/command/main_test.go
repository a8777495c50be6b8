package command_test

import (
	"testing"

	"bitsscore/src/internal/testbin"
)

// bitsscoreBin is the binary under test.
var bitsscoreBin string

func TestMain(m *testing.M) { testbin.Main(m, &bitsscoreBin) }
