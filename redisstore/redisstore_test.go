package redisstore_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/redisstore/internal/redistest"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

var quiet = slog.New(slog.DiscardHandler)

// newBackend returns a backend over client under a prefix of the test's
// own.
func newBackend(t testing.TB, tp *redistest.Topology, client redis.UniversalClient) serverstore.Backend {
	t.Helper()
	if client == nil {
		client = tp.Client(t)
	}
	b, err := redisstore.New(client, redisstore.Options{Prefix: tp.Prefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newBackendPrefix returns a backend over a client of its own under
// prefix, as one server of a fleet would have.
func newBackendPrefix(t testing.TB, tp *redistest.Topology, prefix string) serverstore.Backend {
	t.Helper()
	b, err := redisstore.New(tp.NewClient(t), redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture is a server store over a Redis backend, with the clock its
// Manager reads: the real time to the second, since Redis expires keys by
// its own clock.
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

func TestBackend(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		storetest.RunBackend(t, func(t *testing.T) serverstore.Backend { return newBackend(t, tp, nil) })
	})
}

func TestConformance(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		storetest.Run(t, func(t *testing.T) *storetest.Harness {
			f := newFixture(t, newBackend(t, tp, nil))
			return &storetest.Harness{Store: f.store, Now: f.clock.Now, Advance: f.clock.Advance, Stateful: true, Merges: true}
		})
	})
}

var ctx = context.Background()
