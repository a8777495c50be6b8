//go:build !unix

package command_test

import "testing"

// makeFIFO skips the test: named pipes in a directory are a Unix thing.
func makeFIFO(t *testing.T, path string) {
	t.Helper()
	t.Skipf("no FIFO can be made at %s on this system", path)
}
