package pipes

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestGrowPipe(t *testing.T) {
	r, w := newPipe(t)
	before, err := Size(w)
	if err != nil {
		t.Fatal(err)
	}
	if before >= DefaultSize {
		t.Fatalf("a new pipe already holds %d bytes; the test needs a smaller default", before)
	}
	got, err := Grow(r, DefaultSize)
	if errors.Is(err, syscall.EPERM) {
		// This account may not grow pipes here (pipe-max-size below 1
		// MiB, or its pipe-user-pages-soft spent): then the pipe must
		// keep its size, which is all Grow promises.
		if got != before {
			t.Errorf("refused growth reported %d bytes, want the size kept: %d", got, before)
		}
		if now, _ := Size(w); now != before {
			t.Errorf("after a refused growth the pipe holds %d bytes, want %d", now, before)
		}
		t.Logf("the kernel refused to grow the pipe: %v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got < DefaultSize {
		t.Errorf("Grow returned %d, want at least %d", got, DefaultSize)
	}
	// Both ends share the one buffer: splunkd's end grows with ours.
	if size, err := Size(w); err != nil || size != got {
		t.Errorf("the other end's size is %d (%v), want %d", size, err, got)
	}
	// A pipe is never shrunk.
	if again, err := Grow(w, before); err != nil || again != got {
		t.Errorf("Grow to a smaller size gave %d (%v), want the size kept: %d", again, err, got)
	}
	// The grown pipe takes a write of its whole size without a reader.
	if n, err := w.Write(make([]byte, DefaultSize)); err != nil || n != DefaultSize {
		t.Errorf("writing %d bytes into the grown pipe: %d, %v", DefaultSize, n, err)
	}
}

func TestGrowRefusesWhatIsNotAPipe(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Grow(f, DefaultSize); !errors.Is(err, ErrNotPipe) {
		t.Errorf("Grow on a regular file: %v, want ErrNotPipe", err)
	}
}

func TestGrowRefusesSizesOutOfRange(t *testing.T) {
	r, _ := newPipe(t)
	before, err := Size(r)
	if err != nil {
		t.Fatal(err)
	}
	// Sizes the kernel would read wrapped (it takes an unsigned int) are
	// refused before they reach it.
	sizes := []int{0, -1}
	huge, wrapping := int64(1)<<40, int64(1)<<32+DefaultSize
	if int64(int(huge)) == huge { // 64-bit ints only
		sizes = append(sizes, int(huge), int(wrapping))
	}
	for _, size := range sizes {
		if got, err := Grow(r, size); err == nil {
			t.Errorf("Grow to %d succeeded with %d bytes", size, got)
		}
		if now, _ := Size(r); now != before {
			t.Errorf("after Grow to %d the pipe holds %d bytes, want %d", size, now, before)
		}
	}
}

// newPipe returns a new pipe's ends, closed when the test ends.
func newPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		w.Close()
	})
	return r, w
}
