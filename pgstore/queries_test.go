package pgstore

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionseal/session/internal/pgtest"
)

// TestIndexes: PostgreSQL can run every statement of a request, and the
// cleanup, by the index the package documentation names for it; a
// statement that could not would read the whole table at every call. With
// sequential scans discouraged, the plan of each must use its index even
// on a table too small to need it.
func TestIndexes(t *testing.T) {
	pool, err := pgxpool.New(t.Context(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	b, err := New(t.Context(), pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := b.(*backend).q
	key, now := []byte{1}, time.Now()
	for _, c := range []struct {
		name, sql string
		args      []any
		index     string
	}{
		{"Get", q.get, []any{key}, "sessionseal_sessions_pkey"},
		{"Update", q.update, []any{key, int64(1), key, int64(2), now, now}, "sessionseal_sessions_pkey"},
		{"Update with a user", q.updateUser, []any{key, int64(1), key, int64(2), now, now, key, "ua", "ip"}, "sessionseal_sessions_pkey"},
		{"Delete", q.delete, []any{key, int64(1)}, "sessionseal_sessions_pkey"},
		{"Delete at any version", q.deleteAny, []any{key}, "sessionseal_sessions_pkey"},
		{"Insert", q.insert, []any{key, key, key, int64(1), now, now, now, now, "ua", "ip"}, "sessionseal_sessions_pkey"},
		{"ListUser", q.listUser, []any{key}, "sessionseal_sessions_user_key"},
		{"DeleteUser", q.deleteUser, []any{key}, "sessionseal_sessions_user_key"},
		{"Scan", q.scan, []any{key, 10}, "sessionseal_sessions_pkey"},
		{"DeleteExpired of records", q.expireSessions, []any{now, deleteBatch}, "sessionseal_sessions_expires_at"},
		{"DeleteExpired of stamps", q.expireStamps, []any{now, deleteBatch}, "sessionseal_sessions_stamps_expires_at"},
		{"GetStamp", q.getStamp, []any{key}, "sessionseal_sessions_stamps_pkey"},
		{"RaiseStamp", q.raiseStamp, []any{key, now, now, []string{"h"}, []int64{1}}, "sessionseal_sessions_stamps_pkey"},
		{"DropEnded", q.dropEnded, []any{key, []string{"h"}}, "sessionseal_sessions_stamps_pkey"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var plan []string
			err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(t.Context(), "SET LOCAL enable_seqscan = off"); err != nil {
					return err
				}
				rows, err := tx.Query(t.Context(), "EXPLAIN "+c.sql, c.args...)
				if err != nil {
					return err
				}
				plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if text := strings.Join(plan, "\n"); !strings.Contains(text, c.index) {
				t.Errorf("plan without %s:\n%s", c.index, text)
			}
		})
	}
}

// TestUnavailableStates: the SQLSTATEs of outages are unavailable, and
// those of bugs and of the caller's data are not.
func TestUnavailableStates(t *testing.T) {
	for code, want := range map[string]bool{
		"08006": true, "08001": true, "53300": true, "53100": true, "57P01": true, "57P03": true, "57014": true,
		"40001": true, "40P01": true, "25006": true, "55P03": true,
		"42P01": false, "42703": false, "23505": false, "22P02": false, "28P01": false, "57P04": false,
	} {
		if got := unavailableState(code); got != want {
			t.Errorf("unavailableState(%s) = %v, want %v", code, got, want)
		}
	}
}
