package redisstore_test

import (
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/redisstore/internal/redistest"
)

// TestHybridSpillsToRedis: through package hybrid, a session too large for
// its cookie moves to Redis and comes back to the cookie when it shrinks,
// leaving its device entry in place of its record; a user's revocation
// reaches it in Redis, and the user's stamp refuses the cookie it had
// before (testkit.Spill).
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

		testkit.Spill(t, m, "Redis", count, f.clock)
	})
}
