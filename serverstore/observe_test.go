package serverstore_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

// observed returns a Manager over a server store over memstore, with
// opts, that reports to obs.
func observed(t *testing.T, opts serverstore.Options, obs session.Observer) (*session.Manager, *serverstore.Store, *keyrotation.Keyring) {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = quiet
	store, err := serverstore.New(keys, memstore.New(memstore.Options{}), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m, err := session.NewManager(store, session.Options{Observer: obs, Logger: quiet,
		Cookie: session.CookieOptions{AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	return m, store, keys
}

// TestSaveConflictReported checks that a save that finds a concurrent save
// of its session reports whether it merged or gave up, to the Observer
// that the Manager passed to the store.
func TestSaveConflictReported(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempts int
		want     string
	}{
		{name: "merged", want: "conflict merged"},
		{name: "gave up", attempts: 1, want: "conflict gave up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := new(testkit.Observer)
			m, _, keys := observed(t, serverstore.Options{MaxAttempts: tc.attempts}, obs)
			r, s := testkit.Load(t, m, nil)
			if err := s.Set("a", 1); err != nil {
				t.Fatal(err)
			}
			c := testkit.Save(t, m, r, s)
			r1, s1 := testkit.Load(t, m, c)
			r2, s2 := testkit.Load(t, m, c)
			if err := s1.Set("x", 1); err != nil {
				t.Fatal(err)
			}
			testkit.Save(t, m, r1, s1)
			if err := s2.Set("y", 1); err != nil {
				t.Fatal(err)
			}
			err := m.Save(httptest.NewRecorder(), r2, s2)
			if gaveUp := tc.attempts == 1; gaveUp != errors.Is(err, session.ErrConflict) {
				t.Fatalf("second save: %v", err)
			}
			got, rings := obs.TakeOthers()
			if want := []string{tc.want}; !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
			if len(rings) != 1 || rings[0] != keys {
				t.Errorf("KeyringObserved got %v, want the store's ring once", rings)
			}
		})
	}
}

// TestCleanupReported checks that DeleteExpired reports to the Observer of
// the Manager that used the store, which it learns from the first call.
func TestCleanupReported(t *testing.T) {
	obs := new(testkit.Observer)
	m, store, _ := observed(t, serverstore.Options{}, obs)
	ctx := context.Background()
	if _, err := store.DeleteExpired(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := obs.TakeOthers(); len(got) != 0 {
		t.Errorf("before any request: events %q, want none", got)
	}
	r, s := testkit.Load(t, m, nil)
	if err := s.Set("a", 1); err != nil {
		t.Fatal(err)
	}
	testkit.Save(t, m, r, s)
	if n, err := store.DeleteExpired(ctx, time.Now().AddDate(1, 0, 0)); n != 1 || err != nil {
		t.Fatalf("DeleteExpired = %d, %v; want 1, nil", n, err)
	}
	got, _ := obs.TakeOthers()
	if want := []string{"cleanup 1 <nil>"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// uncomparable is an Observer whose type == would panic on.
type uncomparable []string

func (uncomparable) Loaded(context.Context, session.LoadEvent) {}
func (uncomparable) Saved(context.Context, session.SaveEvent)  {}

// TestUncomparableObserver checks that the store and the ring tell the
// observers of two Managers apart without comparing them, which would
// panic for these.
func TestUncomparableObserver(t *testing.T) {
	m1, store, _ := observed(t, serverstore.Options{}, uncomparable{"a"})
	m2, err := session.NewManager(store, session.Options{Observer: uncomparable{"b"}, Logger: quiet,
		Cookie: session.CookieOptions{AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*session.Manager{m1, m2, m1} {
		r, s := testkit.Load(t, m, nil)
		if err := s.Set("a", 1); err != nil {
			t.Fatal(err)
		}
		testkit.Load(t, m, testkit.Save(t, m, r, s))
	}
}
