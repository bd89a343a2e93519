package keyrotation

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// LoadFile reads the key ring file at path and parses it as Parse does.
// An error names path but never the file's content; one about the content
// matches ErrInvalidKeyring. LoadFile does not check the file's mode;
// WriteFile writes 0600.
func LoadFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyrotation: %w", err)
	}
	defer f.Close()
	// One byte over the limit is enough for Parse to refuse the file.
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keyrotation: %w", err)
	}
	return parseFile(path, data)
}

// WatchFile loads the key ring file at path and returns a ring that follows
// it: every interval it reads the file again and, when the content changed
// and parses, replaces the ring's keys atomically. A file that fails to
// read, parse or validate never replaces the current keys; its error goes
// to onError, or to slog.Default() when onError is nil, and the watcher
// keeps trying. Watching stops when ctx is done. Each reload, and each
// failed one, is also reported to the Observer of the session.Manager whose
// stores use the ring (session.Options.Observer), once a store has served
// a request.
//
// The first load's error is returned: a server should not start without its
// keys.
func WatchFile(ctx context.Context, path string, interval time.Duration, onError func(error)) (*Keyring, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("keyrotation: watch interval %v is not positive", interval)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyrotation: %w", err)
	}
	k, err := parseFile(path, data)
	if err != nil {
		return nil, err
	}
	if onError == nil {
		onError = func(err error) {
			slog.Default().ErrorContext(ctx, "keyrotation: key ring not reloaded", "path", path, "err", err)
		}
	}
	go watch(ctx, k, path, interval, sha256.Sum256(data), onError)
	return k, nil
}

func watch(ctx context.Context, k *Keyring, path string, interval time.Duration, last [sha256.Size]byte, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		data, err := os.ReadFile(path)
		if err != nil {
			// Report a failure once, not at every tick.
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				err = fmt.Errorf("keyrotation: %w", err)
				onError(err)
				k.reloaded(ctx, false, err)
			}
			continue
		}
		sum := sha256.Sum256(data)
		if sum == last {
			continue
		}
		last = sum
		next, err := parseFile(path, data)
		if err != nil {
			lastErr = ""
			onError(err)
			k.reloaded(ctx, false, err)
			continue
		}
		lastErr = ""
		before := k.snap.Load().keys[0].id
		k.replace(next)
		k.reloaded(ctx, k.snap.Load().keys[0].id != before, nil)
	}
}

// parseFile parses data read from path, naming path in errors.
func parseFile(path string, data []byte) (*Keyring, error) {
	k, err := Parse(data)
	var pe *parseError
	if errors.As(err, &pe) {
		pe.path = path
	}
	return k, err
}

// replace gives k the keys and waits of next, a ring of its
// own, atomically: readers see the old ring or the new one. Keys present
// in both keep their seal counts. WatchFile calls it when the file changes.
func (k *Keyring) replace(next *Keyring) {
	next.mu.Lock()
	keys := next.clone()
	mat := next.mat
	delay, recordDelay := next.delay, next.recordDelay
	lifetime, recordLifetime := next.lifetime, next.recordLifetime
	next.mu.Unlock()

	k.mu.Lock()
	defer k.mu.Unlock()
	fresh := make(map[uint32]*material, len(keys))
	for i := range keys {
		e := &keys[i]
		if old := k.mat[e.id]; old != nil && old.secret == mat[e.id].secret {
			e.m = old // same key: keep its ciphers and its seal count
		}
		fresh[e.id] = e.m
	}
	k.mat = fresh
	k.delay, k.recordDelay = delay, recordDelay
	k.lifetime, k.recordLifetime = lifetime, recordLifetime
	k.snap.Store(newSnapshot(keys))
}
