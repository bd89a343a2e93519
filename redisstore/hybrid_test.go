package redisstore_test

import (
	"strings"
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/redisstore/internal/redistest"
)

// TestHybridSpillsToRedis: through package hybrid, a session too large for
// its cookie moves to Redis and comes back to the cookie when it shrinks,
// leaving its device entry in place of its record; a user's revocation
// reaches it in Redis.
func TestHybridSpillsToRedis(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		b := newBackend(t, tp, nil)
		f := newFixture(t, b)
		store, err := hybrid.New(f.keys, f.store, hybrid.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		m := f.manager(t, store, session.Options{})
		count := func() int64 {
			t.Helper()
			n, err := b.Count(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		r, s := testkit.Load(t, m, nil)
		s.SetUser("alice")
		if err := s.Set("small", "x"); err != nil {
			t.Fatal(err)
		}
		c := testkit.Save(t, m, r, s)
		if s.Mode() != session.ModeCookie || count() != 1 {
			t.Fatalf("a small session: mode %v, %d records; want the cookie and its device entry", s.Mode(), count())
		}

		r, s = testkit.Load(t, m, c)
		if err := s.Set("big", strings.Repeat("x", 5000)); err != nil {
			t.Fatal(err)
		}
		c = testkit.Save(t, m, r, s)
		if s.Mode() != session.ModeServer || count() != 1 {
			t.Fatalf("a 5000-byte session: mode %v, %d records; want it in Redis", s.Mode(), count())
		}
		r, s = testkit.Load(t, m, c)
		if big, _, _ := session.Value[string](s, "big"); len(big) != 5000 || s.Mode() != session.ModeServer {
			t.Fatalf("loaded from Redis: mode %v, %d bytes of big; want 5000 from the server", s.Mode(), len(big))
		}

		s.Delete("big")
		c = testkit.Save(t, m, r, s)
		if s.Mode() != session.ModeCookie || count() != 1 {
			t.Errorf("after it shrank: mode %v, %d records; want the cookie and its device entry", s.Mode(), count())
		}
		_, s = testkit.Load(t, m, c)
		if small, _, _ := session.Value[string](s, "small"); small != "x" || s.Mode() != session.ModeCookie {
			t.Errorf("back in the cookie: mode %v, small %q; want the cookie and x", s.Mode(), small)
		}

		// Spilled again, then revoked: gone from Redis and refused.
		r, s = testkit.Load(t, m, c)
		if err := s.Set("big", strings.Repeat("y", 5000)); err != nil {
			t.Fatal(err)
		}
		c = testkit.Save(t, m, r, s)
		id := s.ID()
		if n, err := m.RevokeUser(t.Context(), "alice"); n != 1 || err != nil {
			t.Fatalf("RevokeUser: %d, %v; want the record in Redis", n, err)
		}
		if _, s = testkit.Load(t, m, c); s.ID() == id || count() != 0 {
			t.Errorf("after RevokeUser: loaded %q, %d records; want a new session and none", s.ID(), count())
		}
	})
}
