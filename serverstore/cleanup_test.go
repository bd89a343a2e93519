package serverstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

// TestCleanupDeletesExpired: a record past its expiry stays readable until
// the cleanup deletes it (the store checks no deadline; the Manager
// refuses the session by its own), and DeleteExpired deletes it.
func TestCleanupDeletesExpired(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{IdleTimeout: time.Hour})
		s, c := saveNew(t, m)
		if n, err := f.store.DeleteExpired(ctx, f.clock.Now()); err != nil || n != 0 {
			t.Errorf("before expiry: deleted %d, %v", n, err)
		}
		f.clock.Advance(2 * time.Hour)
		if _, err := f.load(t, m, c.Value); err != nil {
			t.Errorf("Load of an expired record before the cleanup: %v; want the record, for the Manager to refuse", err)
		}
		if _, got := testkit.Load(t, m, c); got.ID() == s.ID() {
			t.Error("the Manager loaded a session past its idle deadline")
		}
		if n, err := f.store.DeleteExpired(ctx, f.clock.Now()); err != nil || n != 1 {
			t.Errorf("after expiry: deleted %d, %v; want 1", n, err)
		}
		if _, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("Load after the cleanup: got %v, want ErrInvalid", err)
		}
	})
}

// TestCleanupLoop: over a backend without expiry of its own, the store
// deletes expired records every CleanupInterval, until Close.
func TestCleanupLoop(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b := memstore.New(memstore.Options{})
	store, err := serverstore.New(keys, b, serverstore.Options{CleanupInterval: 10 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	past := testkit.NewClock(time.Now().Add(-48 * time.Hour))
	m, err := session.NewManager(store, session.Options{Now: past.Now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	saveNew(t, m)
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := b.Count(ctx); n != 0; n, _ = b.Count(ctx) {
		if time.Now().After(deadline) {
			t.Fatal("the cleanup loop left an expired record for 10 seconds")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
