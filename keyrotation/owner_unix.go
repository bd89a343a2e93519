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
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return nil
	}
	if err := f.Chown(int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("keyrotation: keeping the owner of %s: %w", path, err)
	}
	return nil
}
