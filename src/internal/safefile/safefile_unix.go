//go:build unix

package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a
// peer; it changes nothing for a regular file. O_NOFOLLOW refuses a
// symbolic link as the last element (ELOOP).
func openRead(path string, noFollow bool) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if noFollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	return f, symlinkError(path, err)
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	return f, symlinkError(path, err)
}

// symlinkError names the refusal O_NOFOLLOW reports as ELOOP (EMLINK on
// some BSDs); a FIFO without a reader, opened to write, fails with ENXIO.
func symlinkError(path string, err error) error {
	switch {
	case err == nil:
		return nil
	case errorIs(err, syscall.ELOOP), errorIs(err, syscall.EMLINK):
		return &NotRegularError{Path: path, What: "a symbolic link"}
	case errorIs(err, syscall.ENXIO):
		return &NotRegularError{Path: path, What: describe(fs.ModeNamedPipe)}
	}
	return err
}

func errorIs(err error, errno syscall.Errno) bool {
	pe, ok := err.(*fs.PathError)
	return ok && pe.Err == errno
}

// checkOwner refuses a file someone else owns (planted for this process
// to write into) or one with a second name (a hard link to a file
// elsewhere).
func checkOwner(info fs.FileInfo, path string) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not by this process's user", path, st.Uid)
	}
	if uint64(st.Nlink) != 1 {
		return &NotRegularError{Path: path, What: fmt.Sprintf("a file with %d links", st.Nlink)}
	}
	return nil
}
