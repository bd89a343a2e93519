package serverstore_test

import (
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
)

// TestEndedSessionsStayBounded: a user who ends more sessions than a stamp
// names one by one is logged out everywhere instead, and the stamp stays
// small.
func TestEndedSessionsStayBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		end := func() {
			t.Helper()
			r, s := testkit.Load(t, m, nil)
			s.SetUser("alice")
			c := testkit.Save(t, m, r, s)
			r, s = testkit.Load(t, m, c)
			s.Destroy()
			testkit.Save(t, m, r, s)
		}
		for range 100 {
			end()
		}
		st, err := f.store.Stamp(ctx, "alice")
		if err != nil || len(st.Ended) != 100 || !st.NotBefore.IsZero() {
			t.Fatalf("stamp after 100 ended sessions: %d named, not before %v, %v; want 100 named", len(st.Ended), st.NotBefore, err)
		}
		f.clock.Advance(time.Second)
		r, s := testkit.Load(t, m, nil)
		s.SetUser("alice")
		testkit.Save(t, m, r, s)
		end()
		st, err = f.store.Stamp(ctx, "alice")
		if err != nil || len(st.Ended) != 0 || !s.StartedAt().Before(st.NotBefore) {
			t.Errorf("stamp after the 101st: %d named, not before %v, %v; want none named, and a time after %v", len(st.Ended), st.NotBefore, err, s.StartedAt())
		}
	})
}

// TestStampOnlyMovesForward: a later SetNotBefore from a server whose
// clock is behind, or an ended session whose tokens expire earlier, never
// moves a stamp back.
func TestStampOnlyMovesForward(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		t0 := f.clock.Now()
		if err := f.store.SetNotBefore(ctx, "alice", t0, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := f.store.SetNotBefore(ctx, "alice", t0.Add(-10*time.Minute), time.Hour); err != nil {
			t.Fatal(err)
		}
		st, err := f.store.Stamp(ctx, "alice")
		if err != nil || !st.NotBefore.Equal(t0) || !st.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("stamp: %+v, %v; want not before %v until %v", st, err, t0, t0.Add(time.Hour))
		}
		if err := f.store.SetNotBefore(ctx, "bob", t0, 0); err != nil {
			t.Fatal(err)
		}
		if st, err := f.store.Stamp(ctx, "bob"); err != nil || st.ExpiresAt.Year() != 9999 {
			t.Errorf("stamp kept for good: %+v, %v", st, err)
		}
		if st, err := f.store.Stamp(ctx, "carol"); err != nil || !st.NotBefore.IsZero() || st.Ended != nil {
			t.Errorf("stamp of a user never revoked: %+v, %v; want the zero Stamp", st, err)
		}
	})
}
