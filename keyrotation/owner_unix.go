//go:build unix

package keyrotation

import (
	"fmt"
	"os"
	"syscall"
)

// keepOwner gives f, the new copy of the file at path, the owner and group
// of the file it replaces. It matters when a privileged operator edits a
// ring that the servers' account owns (sudo sessionkeys add): with mode
// 0600, a copy owned by root would be unreadable to the servers, whose
// watchers would keep the old ring. Only a privileged process can make that
// change; for any other, the file it may replace is already its own.
func keepOwner(f *os.File, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new file: the writer owns it
	}
	want, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	// Compare with what the new file got, not with this process's IDs: a
	// setgid directory, for one, gives it the directory's group.
	fi, err = f.Stat()
	if err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if got, ok := fi.Sys().(*syscall.Stat_t); ok && got.Uid == want.Uid && got.Gid == want.Gid {
		return nil
	}
	if err := f.Chown(int(want.Uid), int(want.Gid)); err != nil {
		return fmt.Errorf("keyrotation: keeping the owner of %s: %w", path, err)
	}
	return nil
}
