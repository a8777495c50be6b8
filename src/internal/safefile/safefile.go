// Package safefile opens files whose paths the program does not control:
// a directory splunkd names in searchinfo, a list a customer drops into the
// app. Opening one must never block (a FIFO), follow a planted symbolic
// link where the caller forbids it, or read without bound (a device, a
// file that keeps growing). Every refusal is an error that says why.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrTooLarge reports a file over the caller's size limit.
var ErrTooLarge = errors.New("file is over the size limit")

// A NotRegularError is a path that names something other than a regular
// file: a symbolic link the caller would not follow, a FIFO, a device, a
// directory, or a file with another link to it.
type NotRegularError struct {
	Path string
	What string // what it is instead, as in "a symbolic link"
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.What)
}

// Is lets errors.Is(err, fs.ErrInvalid) find a NotRegularError.
func (e *NotRegularError) Is(target error) bool { return target == fs.ErrInvalid }

// describe names a file type for a NotRegularError.
func describe(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode.IsDir():
		return "a directory"
	}
	return "not a plain file (type " + mode.Type().String() + ")"
}

// A Reader reads a file opened by Open, never more than its limit: past
// it, Read returns an error wrapping ErrTooLarge, so that a file growing
// while it is read cannot grow the reader's memory.
type Reader struct {
	f     *os.File
	path  string
	limit int64
	left  io.LimitedReader
}

// Open opens path for reading if it is a regular file of at most limit
// bytes. With noFollow, a symbolic link as the path's last element is
// refused rather than followed. A path that does not exist gives an error
// wrapping fs.ErrNotExist.
func Open(path string, noFollow bool, limit int64) (*Reader, error) {
	f, err := openRead(path, noFollow)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, What: describe(info.Mode())}
	}
	if info.Size() > limit {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", path, info.Size(), ErrTooLarge, limit)
	}
	r := &Reader{f: f, path: path, limit: limit}
	r.left = io.LimitedReader{R: f, N: limit + 1}
	return r, nil
}

// Read reads from the file, failing once more than the limit has come.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.left.Read(p)
	if r.left.N == 0 {
		return max(n-1, 0), fmt.Errorf("%s: more than %d bytes: %w", r.path, r.limit, ErrTooLarge)
	}
	return n, err
}

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// OpenLog opens name in dir for appending, creating it with mode 0600.
// dir must be an absolute path to an existing directory: a relative one
// would resolve against whatever the working directory is. name must be,
// or become, a regular file with no other link, owned by this process's
// user; a symbolic link there is refused, and so is a FIFO (without
// blocking). Group or other access beyond 0640 is removed.
func OpenLog(dir, name string) (*os.File, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("directory %q is not an absolute path", dir)
	}
	if info, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	path := filepath.Join(dir, name)
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	if err := checkLog(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkLog vets a just-opened log file by its descriptor, so that what is
// checked is what will be written.
func checkLog(f *os.File, path string) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return &NotRegularError{Path: path, What: describe(info.Mode())}
	}
	if err := checkOwner(info, path); err != nil {
		return err
	}
	if info.Mode().Perm()&^0o640 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("%s: mode %v is too open and cannot be narrowed: %w", path, info.Mode().Perm(), err)
		}
	}
	return nil
}
