package keyrotation

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes the ring to path in the format of Marshal, atomically:
// it writes a temporary file in the same directory with mode 0600 (read and
// write for the owner only), syncs it, renames it over path and syncs the
// directory. A reader of path, such as another process loading the ring,
// sees the old ring or the new one, never a part; after a crash, path holds
// one of them. On Unix the new file keeps the owner and group of the file
// it replaces, so that a ring edited as root stays readable by the servers
// that own it; when the process may not give the file away, WriteFile
// fails and leaves path as it was.
//
// WriteFile parses what it would write, and writes nothing when Parse
// refuses it (a ring that has outgrown the 1 MiB that Parse accepts, say):
// it returns Parse's error, which then names path and matches
// ErrInvalidKeyring, and path keeps the ring it had.
//
// Changes to the ring wait while WriteFile runs, so that of several calls
// for one path, the last to finish writes the ring as the last change left
// it.
func (k *Keyring) WriteFile(path string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, err := k.marshal()
	if err != nil {
		return err
	}
	// A file that Parse refuses would be refused by every server's
	// watcher, so the new key would never propagate, and no server could
	// start from it: better to keep the file that works.
	if _, err := Parse(b); err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			pe.path, pe.unwritten = path, true
		}
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if tmp != "" { // not renamed: remove the partial file
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600 less the umask; set it exactly.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := keepOwner(f, path); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	tmp = ""
	// The rename is durable only once the directory is synced.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keyrotation: syncing directory %s: %w", dir, err)
	}
	return nil
}
