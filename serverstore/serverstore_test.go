package serverstore_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/recordkey"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }

var (
	ctx   = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)

// backends are the databases the engine's tests run on. Each gives a
// function that opens a backend on one fresh database, again for each
// server of a fleet.
var backends = []struct {
	name string
	db   func(t *testing.T) func(t *testing.T) serverstore.Backend
}{
	{"memstore", func(*testing.T) func(*testing.T) serverstore.Backend {
		b := memstore.New(memstore.Options{})
		return func(*testing.T) serverstore.Backend { return b }
	}},
	{"mongostore", func(t *testing.T) func(*testing.T) serverstore.Backend {
		coll := mongotest.DB(t).Collection("sessions")
		return func(t *testing.T) serverstore.Backend {
			b, err := mongostore.New(ctx, coll)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}},
}

type fixture struct {
	keys  *keyrotation.Keyring
	clock *testkit.Clock
	open  func(t *testing.T) serverstore.Backend // a backend on the fixture's database
	b     *counting                              // the backend of store
	store *serverstore.Store
}

// endRecord deletes the record of the session with the given ID behind the
// store's back, as another server's RevokeHandle or an operator would.
func (f *fixture) endRecord(t *testing.T, sessionID string) {
	t.Helper()
	if _, err := f.b.Delete(context.Background(), recordkey.Session(sessionID), 0); err != nil {
		t.Fatal(err)
	}
}

// eachBackend runs fn as a subtest on each backend.
func eachBackend(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			keys, err := keyrotation.Generate()
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{keys: keys, clock: testkit.NewClock(time.Now().Truncate(time.Second)), open: be.db(t)}
			f.b = &counting{Backend: f.open(t)}
			f.store = f.newStore(t, f.b, serverstore.Options{})
			fn(t, f)
		})
	}
}

// newStore returns a store on b with the fixture's keys.
func (f *fixture) newStore(t *testing.T, b serverstore.Backend, opts serverstore.Options) *serverstore.Store {
	t.Helper()
	opts.Logger = quiet
	s, err := serverstore.New(f.keys, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// manager returns a Manager of store with the fixture's clock.
func (f *fixture) manager(t *testing.T, store session.Store, opts session.Options) *session.Manager {
	t.Helper()
	opts.Now, opts.Logger = f.clock.Now, quiet
	m, err := session.NewManager(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// load returns the record of token in f.store, for the cookie name.
func (f *fixture) load(t *testing.T, m *session.Manager, token string) (*session.Record, error) {
	t.Helper()
	return f.store.Load(ctx, m.CookieName(), token, f.clock.Now())
}

// records counts the session records.
func (f *fixture) records(t *testing.T) int64 {
	t.Helper()
	n, err := f.b.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// document returns the record of the session with the given ID.
func (f *fixture) document(t *testing.T, id string) *serverstore.Document {
	t.Helper()
	doc, err := f.b.Get(ctx, recordkey.Session(id))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// counting is a backend that counts the updates it is asked for.
type counting struct {
	serverstore.Backend
	updates atomic.Int64
	last    atomic.Pointer[serverstore.Document] // of the last Update
}

func (c *counting) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	c.updates.Add(1)
	cp := *doc
	c.last.Store(&cp)
	return c.Backend.Update(ctx, doc, version)
}

// saveNew saves a new session holding a = 1 through m and returns it with
// its cookie.
func saveNew(t *testing.T, m *session.Manager) (*session.Session, *http.Cookie) {
	t.Helper()
	r, s := testkit.Load(t, m, nil)
	if err := s.Set("a", 1); err != nil {
		t.Fatal(err)
	}
	return s, testkit.Save(t, m, r, s)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Harness {
		keys, err := keyrotation.Generate()
		if err != nil {
			t.Fatal(err)
		}
		store, err := serverstore.New(keys, memstore.New(memstore.Options{}), serverstore.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		clock := testkit.NewClock(time.Now().Truncate(time.Second))
		return &storetest.Harness{Store: store, Now: clock.Now, Advance: clock.Advance, Stateful: true, Merges: true}
	})
}

func TestNew(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b := memstore.New(memstore.Options{})
	for name, tc := range map[string]struct {
		keys *keyrotation.Keyring
		b    serverstore.Backend
		opts serverstore.Options
	}{
		"nil keys":          {nil, b, serverstore.Options{}},
		"nil backend":       {keys, nil, serverstore.Options{}},
		"negative timeout":  {keys, b, serverstore.Options{Timeout: -time.Second}},
		"negative interval": {keys, b, serverstore.Options{CleanupInterval: -time.Second}},
		"negative attempts": {keys, b, serverstore.Options{MaxAttempts: -1}},
		"RS256":             {keys, b, serverstore.Options{SigningMethod: "RS256"}},
	} {
		if s, err := serverstore.New(tc.keys, tc.b, tc.opts); err == nil {
			s.Close()
			t.Errorf("%s: got no error", name)
		}
	}
}

// get sends a request with the cookie and returns the status, the body and
// the cookie the client holds afterwards.
func get(t *testing.T, srv *httptest.Server, path string, c *http.Cookie) (int, string, *http.Cookie) {
	t.Helper()
	return testkit.Request(t, srv.URL+path, "session", c)
}

// insecure are Manager options for the HTTP test servers.
var insecure = session.Options{Cookie: session.CookieOptions{AllowInsecureHTTP: true}}
