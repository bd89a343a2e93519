package pgstore_test

import (
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
)

// TestHybridSpillsToPostgreSQL: through package hybrid, a session too large
// for its cookie moves to PostgreSQL and comes back to the cookie when it
// shrinks, leaving its device entry in place of its record; a user's
// revocation reaches it in PostgreSQL, and the user's stamp refuses the
// cookie it had before.
func TestHybridSpillsToPostgreSQL(t *testing.T) {
	b := newBackend(t)
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

	testkit.Spill(t, m, "PostgreSQL", count, f.clock)
}
