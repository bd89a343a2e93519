//go:build unix

package keyrotation_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteFileKeepsOwner checks that a ring written by root over a file
// another account owns stays that account's. It needs root, which may give
// files away; other accounts can only replace their own files.
func TestWriteFileKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another account")
	}
	k, _, _, _ := ring(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	const uid, gid = 4242, 4343 // the servers' account
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != gid || fi.Mode().Perm() != 0o600 {
		t.Errorf("after WriteFile: owner %d:%d mode %v, want %d:%d 0600", st.Uid, st.Gid, fi.Mode().Perm(), uid, gid)
	}
}
