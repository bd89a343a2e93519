//go:build unix && !aix && !(solaris && !illumos)

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// lockRing takes an exclusive lock on the ring file at path, so that two
// runs that change one ring take turns instead of one losing the other's
// change, and returns the function that releases it. The lock is on the
// file itself: WriteFile replaces the file by a rename, so a lock that was
// granted on a file replaced meanwhile is dropped and taken again on the
// new one. A missing file needs no lock; loading it reports it. The file
// is opened for writing where allowed, which NFS needs for an exclusive
// lock (flock is emulated there with fcntl locks).
func lockRing(path string) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrPermission) {
			f, err = os.Open(path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return func() {}, nil
		}
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		locked, err1 := f.Stat()
		current, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(locked, current) {
			return func() { f.Close() }, nil
		}
		f.Close()
	}
}
