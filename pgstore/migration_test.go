package pgstore_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/serverstore"
)

// TestDocumentedSchema: the statements the package documentation shows are
// MigrationSQL's for DefaultTable.
func TestDocumentedSchema(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgstore.MigrationSQL("")
	if err != nil {
		t.Fatal(err)
	}
	if got := firstCodeBlock(string(src), "# Schema"); got != want {
		t.Errorf("doc.go shows\n%s\nMigrationSQL(\"\") is\n%s", got, want)
	}
}

// firstCodeBlock returns the first code block after heading in the doc
// comment src, without the comment's marks.
func firstCodeBlock(src, heading string) string {
	_, after, _ := strings.Cut(src, "\n// "+heading+"\n")
	var block strings.Builder
	for line := range strings.Lines(after) {
		code, ok := strings.CutPrefix(line, "//\t")
		if !ok && block.Len() > 0 {
			break
		}
		if ok {
			block.WriteString(code)
		}
	}
	return block.String()
}

// tables returns the names of the tables and indexes in the database that
// pool reaches, sorted.
func tables(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT relname::text FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace
WHERE nspname = 'public' AND relkind IN ('r', 'i') ORDER BY relname`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// roundTrip checks that b keeps a record and a stamp.
func roundTrip(t *testing.T, b serverstore.Backend) {
	t.Helper()
	key := newKey()
	exp := time.Now().Add(time.Hour)
	if err := b.Insert(t.Context(), &serverstore.Document{Key: key, Data: []byte("d"), Version: 1, ExpiresAt: exp}); err != nil {
		t.Fatalf("Insert: %v", err)
	}
	if d, err := b.Get(t.Context(), key); err != nil || string(d.Data) != "d" {
		t.Fatalf("Get: %v, %v; want the record", d, err)
	}
	if _, err := b.RaiseStamp(t.Context(), key, &serverstore.Stamp{NotBefore: exp, ExpiresAt: exp}); err != nil {
		t.Fatalf("RaiseStamp: %v", err)
	}
}

// TestMigrationIdempotent: New on a database that has the schema, made by
// New or by the statements of MigrationSQL, changes nothing and keeps the
// records.
func TestMigrationIdempotent(t *testing.T) {
	want := []string{"sessionseal_sessions", "sessionseal_sessions_expires_at", "sessionseal_sessions_pkey",
		"sessionseal_sessions_stamps", "sessionseal_sessions_stamps_expires_at", "sessionseal_sessions_stamps_pkey",
		"sessionseal_sessions_user_key"}
	t.Run("New twice", func(t *testing.T) {
		pool := newPool(t, pgtest.URL(t), nil)
		first := backendOn(t, pool, pgstore.Options{})
		roundTrip(t, first)
		if got := tables(t, pool); !slices.Equal(got, want) {
			t.Errorf("after New: %q, want %q", got, want)
		}
		second := backendOn(t, pool, pgstore.Options{})
		if got := tables(t, pool); !slices.Equal(got, want) {
			t.Errorf("after a second New: %q, want %q", got, want)
		}
		if n, err := second.Count(t.Context()); n != 1 || err != nil {
			t.Errorf("Count after a second New: %d, %v; want the record the first kept", n, err)
		}
		roundTrip(t, second)
	})
	t.Run("on the statements of MigrationSQL", func(t *testing.T) {
		pool := newPool(t, pgtest.URL(t), nil)
		sql, err := pgstore.MigrationSQL("")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(t.Context(), sql); err != nil {
			t.Fatalf("running MigrationSQL: %v", err)
		}
		if _, err := pool.Exec(t.Context(), sql); err != nil {
			t.Fatalf("running MigrationSQL again: %v", err)
		}
		roundTrip(t, backendOn(t, pool, pgstore.Options{SkipMigration: true}))
		b := backendOn(t, pool, pgstore.Options{})
		if got := tables(t, pool); !slices.Equal(got, want) {
			t.Errorf("after MigrationSQL and New: %q, want %q", got, want)
		}
		if n, err := b.Count(t.Context()); n != 1 || err != nil {
			t.Errorf("Count after New: %d, %v; want the record kept", n, err)
		}
	})
}

// TestConcurrentMigrations: processes that start at once on an empty
// database, each with its own pool, all succeed.
func TestConcurrentMigrations(t *testing.T) {
	const processes = 6
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, processes)
	for i := range processes {
		pool := newPool(t, url, nil)
		wg.Go(func() { _, errs[i] = pgstore.New(t.Context(), pool, pgstore.Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New %d: %v", i, err)
		}
	}
}

// TestSkipMigrationWithoutSchema: with SkipMigration on a database without
// the tables, New fails, pointing at MigrationSQL, and creates nothing.
func TestSkipMigrationWithoutSchema(t *testing.T) {
	pool := newPool(t, pgtest.URL(t), nil)
	b, err := pgstore.New(t.Context(), pool, pgstore.Options{SkipMigration: true})
	if err == nil || !strings.Contains(err.Error(), "MigrationSQL") || !strings.HasPrefix(err.Error(), "pgstore: ") {
		t.Errorf("New: %v, %v; want an error that points at MigrationSQL", b, err)
	}
	if errors.Is(err, session.ErrStoreUnavailable) {
		t.Errorf("New: %v; a missing table is no outage", err)
	}
	if got := tables(t, pool); len(got) != 0 {
		t.Errorf("tables after New with SkipMigration: %q, want none", got)
	}
}

// TestTable: Options.Table names the tables and indexes, and two backends
// under different names share a database without seeing each other's
// records.
func TestTable(t *testing.T) {
	pool := newPool(t, pgtest.URL(t), nil)
	app := backendOn(t, pool, pgstore.Options{Table: "app_sessions"})
	other := backendOn(t, pool, pgstore.Options{Table: "other"})
	roundTrip(t, app)
	want := []string{"app_sessions", "app_sessions_expires_at", "app_sessions_pkey", "app_sessions_stamps",
		"app_sessions_stamps_expires_at", "app_sessions_stamps_pkey", "app_sessions_user_key",
		"other", "other_expires_at", "other_pkey", "other_stamps", "other_stamps_expires_at", "other_stamps_pkey",
		"other_user_key"}
	if got := tables(t, pool); !slices.Equal(got, want) {
		t.Errorf("tables: %q, want %q", got, want)
	}
	if n, err := other.Count(t.Context()); n != 0 || err != nil {
		t.Errorf("Count of the other table: %d, %v; want 0", n, err)
	}
	sql, err := pgstore.MigrationSQL("app_sessions")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sql, `CREATE TABLE IF NOT EXISTS "app_sessions" (`) {
		t.Errorf("MigrationSQL(app_sessions) starts %q", sql[:min(len(sql), 60)])
	}
}

func TestNewRefuses(t *testing.T) {
	pool, err := pgxpool.New(t.Context(), "postgres://127.0.0.1:1/db")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, c := range []struct {
		name  string
		pool  *pgxpool.Pool
		table string
		want  string
	}{
		{"nil pool", nil, "", "nil pool"},
		{"upper case", pool, "Sessions", "identifier"},
		{"quote", pool, `s"; DROP TABLE users; --`, "identifier"},
		{"schema", pool, "app.sessions", "identifier"},
		{"space", pool, "app sessions", "identifier"},
		{"leading digit", pool, "1sessions", "identifier"},
		{"non-ASCII", pool, "séances", "identifier"},
		{"too long", pool, strings.Repeat("s", 46), "at most 45 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := pgstore.New(t.Context(), c.pool, pgstore.Options{Table: c.table})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "pgstore: ") {
				t.Errorf("New: %v, %v; want an error about %q", b, err, c.want)
			}
			if c.table == "" {
				return
			}
			if sql, err := pgstore.MigrationSQL(c.table); err == nil {
				t.Errorf("MigrationSQL: %q, want an error", sql)
			}
		})
	}
	// The longest name accepted fits every derived name in 63 bytes.
	if _, err := pgstore.MigrationSQL(strings.Repeat("s", 45)); err != nil {
		t.Errorf("MigrationSQL of a 45-byte name: %v", err)
	}
}
