package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// watchTimeout bounds each wait of testWatchStamps.
const watchTimeout = 10 * time.Second

// testWatchStamps checks the optional part of serverstore.Backend, for a
// backend that has it: WatchStamps reports nil once subscribed, then the
// key of a stamp that RaiseStamp raised, and returns when ctx ends.
func testWatchStamps(t *testing.T, b serverstore.Backend) {
	w, ok := b.(interface {
		WatchStamps(ctx context.Context, changed func(key []byte)) error
	})
	if !ok {
		t.Skip("the backend does not push stamp changes")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan []byte, 64)
	done := make(chan error, 1)
	go func() {
		done <- w.WatchStamps(ctx, func(key []byte) {
			select {
			case got <- bytes.Clone(key):
			default:
			}
		})
	}()
	wait := func(what string, want []byte) {
		t.Helper()
		timeout := time.After(watchTimeout)
		for {
			select {
			case key := <-got:
				if bytes.Equal(key, want) && (key == nil) == (want == nil) {
					return
				}
			case err := <-done:
				t.Fatalf("WatchStamps returned %v while waiting for %s", err, what)
			case <-timeout:
				t.Fatalf("WatchStamps did not report %s within %v", what, watchTimeout)
			}
		}
	}
	wait("its subscription (nil)", nil)
	key := newKey(t)
	raise(t, b, key, &serverstore.Stamp{NotBefore: t0, ExpiresAt: t0.Add(time.Hour)})
	wait("the raised stamp's key", key)
	cancel()
	select {
	case <-done:
	case <-time.After(watchTimeout):
		t.Fatalf("WatchStamps did not return within %v of its context's end", watchTimeout)
	}
}
