package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/pgstore"
)

// TestDeleteExpiredBacklog: DeleteExpired works off more expired rows than
// one batch holds, in both tables, and leaves the live ones; a call that
// runs out of time keeps the batches it committed.
func TestDeleteExpiredBacklog(t *testing.T) {
	pool := newPool(t, pgtest.URL(t), nil)
	b := backendOn(t, pool, pgstore.Options{})
	now := time.Now()
	fill := func(expired, live int) {
		t.Helper()
		for _, sql := range []string{
			`INSERT INTO sessionseal_sessions (key, data, version, expires_at, updated)
SELECT sha256(gen_random_uuid()::text::bytea), '\x01', 1, $1::timestamptz + (CASE WHEN i <= $2::int THEN -1 ELSE 1 END) * interval '1 hour', $1
FROM generate_series(1, $2::int + $3::int) AS i`,
			`INSERT INTO sessionseal_sessions_stamps (key, expires_at)
SELECT sha256(gen_random_uuid()::text::bytea), $1::timestamptz + (CASE WHEN i <= $2::int THEN -1 ELSE 1 END) * interval '1 hour'
FROM generate_series(1, $2::int + $3::int) AS i`,
		} {
			if _, err := pool.Exec(t.Context(), sql, now, expired, live); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(2500, 10)
	if n, err := b.DeleteExpired(t.Context(), now); n != 5000 || err != nil {
		t.Errorf("DeleteExpired: %d, %v; want the 2,500 expired records and 2,500 expired stamps", n, err)
	}
	if n, err := b.Count(t.Context()); n != 10 || err != nil {
		t.Errorf("Count after DeleteExpired: %d, %v; want the 10 live records", n, err)
	}
	var stamps int64
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM sessionseal_sessions_stamps`).Scan(&stamps); err != nil || stamps != 10 {
		t.Errorf("stamps after DeleteExpired: %d, %v; want the 10 live ones", stamps, err)
	}

	// A deadline that ends the call part way: the batches it committed
	// stay deleted, and the next call deletes the rest. The count it
	// returns can miss the last batch, committed by the server as the
	// deadline cut the connection.
	fill(20000, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	first, firstErr := b.DeleteExpired(ctx, now)
	if firstErr != nil && !errors.Is(firstErr, session.ErrStoreUnavailable) {
		t.Errorf("DeleteExpired out of time: %d, %v; want ErrStoreUnavailable", first, firstErr)
	}
	rest, err := b.DeleteExpired(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	if n := first + rest; n > 40000 || n < 40000-1000 {
		t.Errorf("DeleteExpired out of time, then again: %d + %d; want 40,000 in all, less at most one batch", first, rest)
	}
	var left int64
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM sessionseal_sessions WHERE expires_at <= $1)
    + (SELECT count(*) FROM sessionseal_sessions_stamps WHERE expires_at <= $1)`, now).Scan(&left); err != nil || left != 0 {
		t.Errorf("expired rows left after the second DeleteExpired: %d, %v; want none", left, err)
	}
	t.Logf("a call with 50 ms deleted %d of 40,000 expired rows (%v), the next %d", first, firstErr, rest)
}
