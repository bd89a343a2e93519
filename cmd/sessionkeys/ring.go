package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/sessionseal/session/keyrotation"
)

// load reads the key ring file at path.
func load(path string) (*keyrotation.Keyring, error) {
	keys, err := keyrotation.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist (sessionkeys init %s creates a ring)", path, path)
	}
	return keys, err
}

// modify loads the ring at path, applies f, and writes the ring back
// (atomically, mode 0600) when f succeeds and reports a change. It holds a
// lock on the file throughout, so that concurrent runs take turns.
func modify(path string, f func(keys *keyrotation.Keyring) (changed bool, err error)) error {
	unlock, err := lockRing(path)
	if err != nil {
		return err
	}
	defer unlock()
	keys, err := load(path)
	if err != nil {
		return err
	}
	changed, err := f(keys)
	if err != nil || !changed {
		return err
	}
	return keys.WriteFile(path)
}

// keyInfo returns the description of key id.
func keyInfo(keys *keyrotation.Keyring, id uint32) (keyrotation.KeyInfo, bool) {
	for _, k := range keys.Keys() {
		if k.ID == id {
			return k, true
		}
	}
	return keyrotation.KeyInfo{}, false
}
