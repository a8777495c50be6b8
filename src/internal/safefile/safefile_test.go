//go:build unix

package safefile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test if f does not return in a few seconds: what is
// tested here is precisely that nothing blocks.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked")
	}
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenReadsRegularFilesOnly(t *testing.T) {
	dir := t.TempDir()
	plain := write(t, filepath.Join(dir, "plain"), "hello")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(plain, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		path     string
		noFollow bool
		want     string // "" for success, else part of the error
	}{
		{plain, true, ""},
		{link, false, ""},
		{link, true, "is a symbolic link, not a regular file"},
		{fifo, false, "is a FIFO, not a regular file"},
		{dir, false, "is a directory, not a regular file"},
		{"/dev/zero", false, "is a device, not a regular file"},
		{filepath.Join(dir, "absent"), true, "no such file"},
	} {
		within(t, func() {
			r, err := Open(c.path, c.noFollow, 100)
			if c.want == "" {
				if err != nil {
					t.Errorf("Open(%s, noFollow %t): %v", c.path, c.noFollow, err)
					return
				}
				defer r.Close()
				if b, err := io.ReadAll(r); err != nil || string(b) != "hello" {
					t.Errorf("read %q, %v", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Open(%s, noFollow %t) = %v, want an error saying %q", c.path, c.noFollow, err, c.want)
			}
			if err != nil && r != nil {
				t.Errorf("Open returned a reader with its error")
			}
		})
	}
	if _, err := Open(fifo, false, 100); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("a FIFO's error %v does not match fs.ErrInvalid", err)
	}
	if _, err := Open(filepath.Join(dir, "absent"), false, 100); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an absent file's error %v does not match fs.ErrNotExist", err)
	}
}

func TestOpenBoundsSize(t *testing.T) {
	dir := t.TempDir()
	big := write(t, filepath.Join(dir, "big"), strings.Repeat("x", 101))
	if _, err := Open(big, true, 100); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "101 bytes") {
		t.Errorf("a 101-byte file under a 100-byte limit: %v", err)
	}
	exact := write(t, filepath.Join(dir, "exact"), strings.Repeat("x", 100))
	r, err := Open(exact, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(r); err != nil || len(b) != 100 {
		t.Errorf("a file of exactly the limit: %d bytes, %v", len(b), err)
	}
	r.Close()

	// A file that grows after the open is cut at the limit.
	growing := write(t, filepath.Join(dir, "growing"), "small")
	r, err = Open(growing, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	write(t, growing, strings.Repeat("y", 10000))
	b, err := io.ReadAll(r)
	if !errors.Is(err, ErrTooLarge) || len(b) > 100 {
		t.Errorf("a file grown past the limit while open: read %d bytes, %v", len(b), err)
	}
}

func TestOpenLog(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenLog(dir, "new.log")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("line\n")
	f.Close()
	if info, err := os.Stat(filepath.Join(dir, "new.log")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("a new log: %v, %v; want mode 0600", info.Mode(), err)
	}
	// An existing log readable by all is narrowed, and appended to.
	open := write(t, filepath.Join(dir, "open.log"), "before\n")
	os.Chmod(open, 0o666)
	f, err = OpenLog(dir, "open.log")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("after\n")
	f.Close()
	if info, _ := os.Stat(open); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after the open, want 0600", info.Mode().Perm())
	}
	if b, _ := os.ReadFile(open); string(b) != "before\nafter\n" {
		t.Errorf("log holds %q", b)
	}
	// 0640 is left alone.
	group := write(t, filepath.Join(dir, "group.log"), "")
	os.Chmod(group, 0o640)
	f, err = OpenLog(dir, "group.log")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if info, _ := os.Stat(group); info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", info.Mode().Perm())
	}

	target := write(t, filepath.Join(t.TempDir(), "target"), "precious\n")
	os.Symlink(target, filepath.Join(dir, "link.log"))
	os.Link(target, filepath.Join(dir, "hard.log"))
	syscall.Mkfifo(filepath.Join(dir, "fifo.log"), 0o600)
	os.Mkdir(filepath.Join(dir, "dir.log"), 0o700)
	rel, err := filepath.Rel(must(os.Getwd()), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, name, want string }{
		{dir, "link.log", "symbolic link"},
		{dir, "hard.log", "a file with 2 links"},
		{dir, "fifo.log", "FIFO"},
		{dir, "dir.log", "directory"},
		{rel, "rel.log", "not an absolute path"},
		{filepath.Join(dir, "absent"), "x.log", "no such file"},
		{target, "x.log", "not a directory"},
	} {
		within(t, func() {
			f, err := OpenLog(c.dir, c.name)
			if err == nil {
				f.Close()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("OpenLog(%s, %s) = %v, want an error saying %q", c.dir, c.name, err, c.want)
			}
		})
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	if _, err := os.Stat(filepath.Join(rel, "rel.log")); err == nil {
		t.Errorf("a relative directory was used")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
