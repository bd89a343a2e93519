package pgstore_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var quiet = slog.New(slog.DiscardHandler)

// newPool returns a pool over the database that url names, closed when the
// test ends; configure, when not nil, changes its configuration first.
func newPool(t testing.TB, url string, configure func(*pgxpool.Config)) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(cfg)
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newBackend returns a backend in a new database of the test's own.
func newBackend(t testing.TB) serverstore.Backend {
	t.Helper()
	return backendOn(t, newPool(t, pgtest.URL(t), nil), pgstore.Options{})
}

// backendOn returns a backend over pool with opts.
func backendOn(t testing.TB, pool *pgxpool.Pool, opts pgstore.Options) serverstore.Backend {
	t.Helper()
	b, err := pgstore.New(t.Context(), pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// fixture is a server store over a PostgreSQL backend, with the clock its
// Manager reads.
type fixture struct {
	keys  *keyrotation.Keyring
	clock *testkit.Clock
	store *serverstore.Store
}

func newFixture(t testing.TB, b serverstore.Backend) *fixture {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return newFixtureWith(t, keys, testkit.NewClock(time.Now().Truncate(time.Second)), b)
}

func newFixtureWith(t testing.TB, keys *keyrotation.Keyring, clock *testkit.Clock, b serverstore.Backend) *fixture {
	t.Helper()
	store, err := serverstore.New(keys, b, serverstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &fixture{keys: keys, clock: clock, store: store}
}

func (f *fixture) manager(t testing.TB, store session.Store, opts session.Options) *session.Manager {
	t.Helper()
	if store == nil {
		store = f.store
	}
	opts.Now = f.clock.Now
	opts.Logger = quiet
	opts.Cookie.AllowInsecureHTTP = true
	m, err := session.NewManager(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBackend runs the backend's conformance suite in each of pgx's ways
// to send a statement: prepared and cached on the connection (the
// default), and without prepared statements, as through a pooler such as
// PgBouncer in transaction mode.
func TestBackend(t *testing.T) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			url := pgtest.URL(t)
			storetest.RunBackend(t, func(t *testing.T) serverstore.Backend {
				pool := newPool(t, url, func(c *pgxpool.Config) { c.ConnConfig.DefaultQueryExecMode = mode })
				b := backendOn(t, pool, pgstore.Options{})
				t.Cleanup(func() { truncate(t, pool) })
				return b
			})
		})
	}
}

// truncate empties the default tables, for the next backend on the same
// database. It runs in the test's cleanup, after t.Context is done.
func truncate(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `TRUNCATE sessionseal_sessions, sessionseal_sessions_stamps`); err != nil {
		t.Error(err)
	}
}

func TestConformance(t *testing.T) {
	url := pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) *storetest.Harness {
		pool := newPool(t, url, nil)
		f := newFixture(t, backendOn(t, pool, pgstore.Options{}))
		t.Cleanup(func() { truncate(t, pool) })
		return &storetest.Harness{Store: f.store, Now: f.clock.Now, Advance: f.clock.Advance, Stateful: true, Merges: true}
	})
}
