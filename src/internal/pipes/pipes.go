// Package pipes enlarges the kernel buffer of a pipe.
//
// splunkd talks to a chunked command through two pipes whose buffers are
// the kernel's default: 64 KiB on Linux. Each time the buffer fills, the
// writer sleeps until the reader has drained it, so a 20 MB reply costs
// hundreds of wake-ups on each side; with 1 MiB buffers it costs a few
// dozen, and the CPU a lockstep session spends on the transfer falls by a
// quarter (docs/performance.md). Only Linux lets a process resize a pipe;
// elsewhere Grow does nothing.
package pipes

import (
	"errors"
	"os"
)

// DefaultSize is the buffer Grow gives a pipe: Linux's default ceiling for
// a process without privileges (/proc/sys/fs/pipe-max-size).
const DefaultSize = 1 << 20

// ErrNotPipe is returned for a file that is not a pipe (a regular file or
// a terminal): there is no buffer to grow, and nothing is changed.
var ErrNotPipe = errors.New("not a pipe")

// ErrUnsupported is returned where the system cannot resize a pipe.
var ErrUnsupported = errors.New("pipes cannot be resized on this system")

// Grow makes the buffer of the pipe f at least size bytes and returns the
// size it has. A buffer already as large is left alone, never shrunk. A
// pipe the kernel will not grow (over pipe-max-size, or over the user's
// share of pipe memory, pipe-user-pages-soft) keeps its size and gives an
// error: a caller goes on with the pipe as it was.
func Grow(f *os.File, size int) (int, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Mode()&os.ModeNamedPipe == 0 {
		return 0, ErrNotPipe
	}
	return grow(f, size)
}

// Size returns the buffer size of the pipe f.
func Size(f *os.File) (int, error) { return size(f) }
