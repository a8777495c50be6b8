package pipes

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// fcntl commands from <linux/fcntl.h> (F_LINUX_SPECIFIC_BASE + 7 and + 8);
// the syscall package does not name them.
const (
	fSetPipeSize = 1031
	fGetPipeSize = 1032
)

func grow(f *os.File, want int) (int, error) {
	if want <= 0 || want > math.MaxInt32 {
		// The kernel reads the size as an unsigned int: more would wrap.
		return 0, fmt.Errorf("pipe size %d is out of range", want)
	}
	have, err := size(f)
	if err != nil || have >= want {
		return have, err
	}
	var got int
	err = control(f, func(fd uintptr) error {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSize, uintptr(want))
		if errno != 0 {
			return errno
		}
		got = int(r)
		return nil
	})
	if err != nil {
		return have, &os.SyscallError{Syscall: "fcntl F_SETPIPE_SZ", Err: err}
	}
	return got, nil
}

func size(f *os.File) (int, error) {
	var got int
	err := control(f, func(fd uintptr) error {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, fGetPipeSize, 0)
		if errno != 0 {
			return errno
		}
		got = int(r)
		return nil
	})
	if err != nil {
		return 0, &os.SyscallError{Syscall: "fcntl F_GETPIPE_SZ", Err: err}
	}
	return got, nil
}

// control runs fn on f's descriptor without taking it out of the runtime's
// poller (f.Fd would make it blocking for good).
func control(f *os.File, fn func(fd uintptr) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fnErr error
	if err := rc.Control(func(fd uintptr) { fnErr = fn(fd) }); err != nil {
		return err
	}
	return fnErr
}
