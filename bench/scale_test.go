package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/bench/internal/backends"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/redisproc"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/serverstore"
)

// mongoM runs the tests through mongotest.Run, inside pgtest.Run: each
// stops the server it started.
type mongoM struct{ m *testing.M }

func (w mongoM) Run() int { return mongotest.Run(w.m) }

func TestMain(m *testing.M) { os.Exit(pgtest.Run(mongoM{m})) }

// scaleSizes are the numbers of live sessions in the store at which
// BenchmarkScale measures, smallest first: the store grows from one to the
// next.
var scaleSizes = []int{100, 1_000, 10_000}

const (
	// seedWorkers is how many sessions are created at once while seeding:
	// the database works on some while the others are sealed.
	seedWorkers = 8

	// expiredPerCleanup is how many expired sessions each op=cleanup finds
	// among the live ones.
	expiredPerCleanup = 10

	// sessionsPerUser is how many of the seeded sessions share a user, as
	// a laptop and a phone do; op=revokeuser deletes as many.
	sessionsPerUser = 2

	// scaleCookie is the session cookie's name.
	scaleCookie = "session"
)

// BenchmarkScale measures requests through session.Manager over
// serverstore.Store while the store holds 100, 1,000 and 10,000 live
// sessions, on each backend (memstore, devmongo, devmongo-pg, redis,
// postgres): op=read loads a random session and reads its cart; op=write
// loads one, changes one quantity and saves; op=cleanup is the store's
// deletion of expired records (Backend.DeleteExpired) when 10 of them lie
// among the live ones, skipped where the database expires records itself;
// op=revokeuser is Manager.RevokeUser of a user with 2 sessions
// (Backend.DeleteUser). See doc.go.
func BenchmarkScale(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(b *testing.B) (serverstore.Backend, *backends.Counter)
	}{
		{"memstore", openMemstore},
		{mongoName(), openMongo},
		{"devmongo-pg", openDevmongoPG},
		{"redis", openRedis},
		{"postgres", openPostgres},
	} {
		b.Run("backend="+be.name, func(b *testing.B) {
			backend, commands := be.open(b)
			e := newScaleEnv(b, backend, commands)
			for _, n := range scaleSizes {
				start := time.Now()
				seeded := n - len(e.sessions)
				if err := e.grow(b.Context(), n); err != nil {
					b.Fatal(err)
				}
				b.Logf("backend=%s: seeded %d sessions in %v", be.name, seeded, time.Since(start).Round(time.Millisecond))
				b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
					b.Run("op=read", e.benchmarkRead)
					b.Run("op=write", e.benchmarkWrite)
					b.Run("op=cleanup", e.benchmarkCleanup)
					b.Run("op=revokeuser", e.benchmarkRevokeUser)
				})
			}
		})
	}
}

// mongoName names the MongoDB backend after the server that mongotest
// gives: devmongo (FerretDB over SQLite), or the one MONGODB_URI names.
func mongoName() string {
	if os.Getenv("MONGODB_URI") != "" {
		return "mongodb"
	}
	return "devmongo"
}

// openMemstore returns a memory backend; it sends no database commands.
func openMemstore(*testing.B) (serverstore.Backend, *backends.Counter) {
	return memstore.New(memstore.Options{}), nil
}

// openMongo returns a backend on a new database of mongotest's server,
// and the counter of the commands its client sends.
func openMongo(b *testing.B) (serverstore.Backend, *backends.Counter) {
	return mongoBackend(b, mongotest.URI(b), mongotest.DB(b).Name())
}

// openDevmongoPG returns a backend on devmongo over a new PostgreSQL
// database of pgtest's server, and the counter of its commands.
func openDevmongoPG(b *testing.B) (serverstore.Backend, *backends.Counter) {
	pg := pgtest.URL(b)
	p, uri, err := mongotest.StartPostgreSQLProcess(pg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := p.Close(); err != nil {
			b.Error(err)
		}
	})
	return mongoBackend(b, uri, "scale")
}

// mongoBackend connects a client to uri that counts the commands it sends
// and returns a backend on the collection sessions of database db.
func mongoBackend(b *testing.B, uri, db string) (serverstore.Backend, *backends.Counter) {
	commands := backends.NewCounter()
	client, err := backends.Mongo(uri, commands)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Disconnect(context.Background()) })
	backend, err := mongostore.New(b.Context(), client.Database(db).Collection("sessions"))
	if err != nil {
		b.Fatal(err)
	}
	return backend, commands
}

// openRedis returns a backend on a redis-server of its own, which keeps
// its data in memory only, and the counter of its client's round trips.
// Without redis-server it skips, except under CI.
func openRedis(b *testing.B) (serverstore.Backend, *backends.Counter) {
	srv, err := redisproc.Start(redisproc.Options{})
	if errors.Is(err, redisproc.ErrNotInstalled) && os.Getenv("CI") == "" {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	commands := backends.NewCounter()
	client := backends.Redis(srv.Addr(), commands)
	b.Cleanup(func() { client.Close() })
	backend, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return backend, commands
}

// openPostgres returns a pgstore backend on a new database of pgtest's
// server, and the counter of its pool's round trips.
func openPostgres(b *testing.B) (serverstore.Backend, *backends.Counter) {
	commands := backends.NewCounter()
	pool, err := backends.Postgres(b.Context(), pgtest.URL(b), commands)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	backend, err := pgstore.New(b.Context(), pool, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return backend, commands
}

// countingBackend counts the calls the engine makes to a backend.
type countingBackend struct {
	serverstore.Backend
	calls atomic.Int64
}

func (c *countingBackend) Get(ctx context.Context, key []byte) (*serverstore.Document, error) {
	c.calls.Add(1)
	return c.Backend.Get(ctx, key)
}

func (c *countingBackend) Insert(ctx context.Context, doc *serverstore.Document) error {
	c.calls.Add(1)
	return c.Backend.Insert(ctx, doc)
}

func (c *countingBackend) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	c.calls.Add(1)
	return c.Backend.Update(ctx, doc, version)
}

func (c *countingBackend) Delete(ctx context.Context, key []byte, version int64) (bool, error) {
	c.calls.Add(1)
	return c.Backend.Delete(ctx, key, version)
}

func (c *countingBackend) ListUser(ctx context.Context, user []byte) ([]serverstore.Document, error) {
	c.calls.Add(1)
	return c.Backend.ListUser(ctx, user)
}

func (c *countingBackend) DeleteUser(ctx context.Context, user []byte) (int64, error) {
	c.calls.Add(1)
	return c.Backend.DeleteUser(ctx, user)
}

func (c *countingBackend) Scan(ctx context.Context, after []byte, limit int) ([]serverstore.Document, error) {
	c.calls.Add(1)
	return c.Backend.Scan(ctx, after, limit)
}

func (c *countingBackend) Count(ctx context.Context) (int64, error) {
	c.calls.Add(1)
	return c.Backend.Count(ctx)
}

func (c *countingBackend) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	c.calls.Add(1)
	return c.Backend.GetStamp(ctx, key)
}

func (c *countingBackend) RaiseStamp(ctx context.Context, key []byte, st *serverstore.Stamp) (*serverstore.Stamp, error) {
	c.calls.Add(1)
	return c.Backend.RaiseStamp(ctx, key, st)
}

func (c *countingBackend) DropEnded(ctx context.Context, key []byte, handles []string) error {
	c.calls.Add(1)
	return c.Backend.DropEnded(ctx, key, handles)
}

func (c *countingBackend) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	c.calls.Add(1)
	return c.Backend.DeleteExpired(ctx, now)
}

// scaleEnv is a store, the Managers over it and the sessions it holds.
type scaleEnv struct {
	backend  *countingBackend
	commands *backends.Counter // database round trips; nil for memstore
	store    *serverstore.Store
	now      time.Time // every Manager's clock stands still, so no read is due a touch

	live          *session.Manager // sessions made now
	create        http.Handler     // live's: a new session of the user named in the query
	read          http.Handler     // live's: reads the cart into sawCart
	write         http.Handler     // live's: sets the quantity in the query
	expired       *session.Manager // sessions whose idle deadline has passed by now
	createExpired http.Handler     // expired's create

	sessions []*http.Request // a template request for each seeded session
	sawCart  []CartItem      // what the last read saw
	sawErr   error
	seq      atomic.Int64 // numbers quantities and users, so that each is new
}

// newScaleEnv returns an empty store over b.
func newScaleEnv(tb testing.TB, b serverstore.Backend, commands *backends.Counter) *scaleEnv {
	keys, err := keyrotation.Generate()
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	e := &scaleEnv{backend: &countingBackend{Backend: b}, commands: commands, now: time.Now().Truncate(time.Second)}
	e.store, err = serverstore.New(keys, e.backend, serverstore.Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.store.Close() })
	manager := func(now time.Time) *session.Manager {
		m, err := session.NewManager(e.store, session.Options{Logger: quiet, Now: func() time.Time { return now },
			Cookie: session.CookieOptions{Name: scaleCookie, AllowInsecureHTTP: true}})
		if err != nil {
			tb.Fatal(err)
		}
		return m
	}
	e.live = manager(e.now)
	// Two idle timeouts (the default, 24 hours) ago: expired by e.now.
	e.expired = manager(e.now.Add(-48 * time.Hour))

	e.create = e.live.Middleware(createHandler())
	e.createExpired = e.expired.Middleware(createHandler())
	e.read = e.live.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.sawCart, _, e.sawErr = session.Value[[]CartItem](session.From(r.Context()), "cart")
	}))
	e.write = e.live.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		cart, _, err := session.Value[[]CartItem](s, "cart")
		if err == nil && len(cart) > 1 {
			cart[1].Qty, err = strconv.Atoi(r.URL.RawQuery)
		}
		if err == nil {
			err = s.Set("cart", cart)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	return e
}

// createHandler fills a new session with the reference values, for the
// user named by the query.
func createHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.SetUser(r.URL.RawQuery)
		for _, kv := range referenceValues() {
			if err := s.Set(kv.key, kv.value); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
	})
}

// newSession creates a session of user through m's middleware, as a
// request would, and returns a template request that carries its cookie.
func newSession(m *session.Manager, create http.Handler, user string) (*http.Request, error) {
	rec := httptest.NewRecorder()
	create.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/?"+user, nil))
	res := rec.Result()
	for _, c := range res.Cookies() {
		if c.Name == m.CookieName() {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(c)
			return req, nil
		}
	}
	return nil, fmt.Errorf("creating a session: status %d, no cookie", res.StatusCode)
}

// grow creates sessions until the store holds n, sessionsPerUser to a
// user, seedWorkers at a time. They are made as requests make them: every
// document holds a sealed payload of the reference session.
func (e *scaleEnv) grow(ctx context.Context, n int) error {
	first := len(e.sessions)
	if n <= first {
		return nil
	}
	made := make([]*http.Request, n-first)
	var next atomic.Int64
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range seedWorkers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(made) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				user := fmt.Sprintf("usr_%08d", (first+i)/sessionsPerUser)
				req, err := newSession(e.live, e.create, user)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				made[i] = req
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return err
	}
	e.sessions = append(e.sessions, made...)
	return nil
}

// counts returns the backend calls and database commands made so far; the
// commands are the calls for memstore, which has no database.
func (e *scaleEnv) counts() (calls, commands int64) {
	calls = e.backend.calls.Load()
	if e.commands == nil {
		return calls, calls
	}
	return calls, e.commands.Total()
}

// report reports the backend calls and commands per op made since
// counts returned calls0 and commands0.
func (e *scaleEnv) report(b *testing.B, calls0, commands0 int64) {
	calls, commands := e.counts()
	b.ReportMetric(float64(calls-calls0)/float64(b.N), "backend-calls/op")
	b.ReportMetric(float64(commands-commands0)/float64(b.N), "commands/op")
}

// serve runs one request on a shallow copy of the template req, as the
// other request benchmarks do, and fails on an error response.
func serve(b *testing.B, h http.Handler, w *discardWriter, req *http.Request) {
	w.reset()
	r := *req
	h.ServeHTTP(w, &r)
	if w.code >= 400 {
		b.Fatalf("status %d", w.code)
	}
}

func (e *scaleEnv) benchmarkRead(b *testing.B) {
	w := newDiscardWriter()
	rnd := rand.New(rand.NewPCG(1, 2))
	calls0, commands0 := e.counts()
	b.ReportAllocs()
	for b.Loop() {
		serve(b, e.read, w, e.sessions[rnd.IntN(len(e.sessions))])
	}
	b.StopTimer()
	e.report(b, calls0, commands0)
	if e.sawErr != nil || len(e.sawCart) != len(want.Cart) || e.sawCart[0] != want.Cart[0] {
		b.Fatalf("the last read saw %+v, %v; want the reference cart", e.sawCart, e.sawErr)
	}
}

func (e *scaleEnv) benchmarkWrite(b *testing.B) {
	w := newDiscardWriter()
	rnd := rand.New(rand.NewPCG(3, 4))
	calls0, commands0 := e.counts()
	var req *http.Request
	var qty int64
	b.ReportAllocs()
	for b.Loop() {
		// A quantity never used before: the session changes, and is saved.
		qty = e.seq.Add(1)
		req = e.sessions[rnd.IntN(len(e.sessions))]
		r, u := *req, *req.URL
		u.RawQuery = strconv.FormatInt(qty, 10)
		r.URL = &u
		serve(b, e.write, w, &r)
	}
	b.StopTimer()
	e.report(b, calls0, commands0)
	if len(w.h.Values("Set-Cookie")) != 1 {
		b.Fatalf("the last write set cookies %q, want one", w.h.Values("Set-Cookie"))
	}
	serve(b, e.read, w, req)
	if e.sawErr != nil || len(e.sawCart) < 2 || e.sawCart[1].Qty != int(qty) {
		b.Fatalf("after writing quantity %d, a read saw %+v, %v", qty, e.sawCart, e.sawErr)
	}
}

func (e *scaleEnv) benchmarkCleanup(b *testing.B) {
	if e.backend.NativeExpiry() {
		b.Skip("the database deletes expired records itself (Redis; MongoDB with TTL indexes): the store never calls DeleteExpired")
	}
	e.benchmarkAfterSetup(b, expiredPerCleanup, func() error {
		for range expiredPerCleanup {
			if _, err := newSession(e.expired, e.createExpired, "usr_expired"); err != nil {
				return err
			}
		}
		return nil
	}, func(ctx context.Context) (int64, error) {
		return e.store.DeleteExpired(ctx, e.now)
	})
}

func (e *scaleEnv) benchmarkRevokeUser(b *testing.B) {
	var user string
	e.benchmarkAfterSetup(b, sessionsPerUser, func() error {
		user = fmt.Sprintf("usr_revoked_%d", e.seq.Add(1))
		for range sessionsPerUser {
			if _, err := newSession(e.live, e.create, user); err != nil {
				return err
			}
		}
		return nil
	}, func(ctx context.Context) (int64, error) {
		return e.live.RevokeUser(ctx, user)
	})
}

// benchmarkAfterSetup runs op b.N times, each after setup, and checks that
// each deleted wantDeleted records. It reports the time, memory and
// counts of op alone, measured around each call, in place of the
// benchmark's own: the benchmark's timer also runs during setup, which
// makes b.N, chosen by that timer, small when setup costs more than op
// (memstore), rather than the run's length a multiple of b.N setups.
func (e *scaleEnv) benchmarkAfterSetup(b *testing.B, wantDeleted int64, setup func() error, op func(context.Context) (int64, error)) {
	ctx := b.Context()
	var elapsed time.Duration
	var deleted, calls, commands int64
	var allocs, bytes uint64
	var before, after runtime.MemStats
	for range b.N {
		if err := setup(); err != nil {
			b.Fatal(err)
		}
		c0, k0 := e.counts()
		runtime.ReadMemStats(&before)
		start := time.Now()
		n, err := op(ctx)
		elapsed += time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			b.Fatal(err)
		}
		c1, k1 := e.counts()
		deleted, calls, commands = deleted+n, calls+c1-c0, commands+k1-k0
		allocs, bytes = allocs+after.Mallocs-before.Mallocs, bytes+after.TotalAlloc-before.TotalAlloc
	}
	if deleted != int64(b.N)*wantDeleted {
		b.Fatalf("deleted %d records in %d ops, want %d each", deleted, b.N, wantDeleted)
	}
	perOp := func(v float64) float64 { return v / float64(b.N) }
	b.ReportMetric(perOp(float64(elapsed.Nanoseconds())), "ns/op")
	b.ReportMetric(perOp(float64(bytes)), "B/op")
	b.ReportMetric(perOp(float64(allocs)), "allocs/op")
	b.ReportMetric(perOp(float64(deleted)), "deleted/op")
	b.ReportMetric(perOp(float64(calls)), "backend-calls/op")
	b.ReportMetric(perOp(float64(commands)), "commands/op")
}

// TestScaleEnv checks on memstore what BenchmarkScale's operations do, so
// that go test catches a benchmark that would time a failure: seeded
// sessions read back, a write changes the session, cleanup deletes only
// expired records, and revoking a user deletes exactly its sessions.
func TestScaleEnv(t *testing.T) {
	ctx := t.Context()
	e := newScaleEnv(t, memstore.New(memstore.Options{}), nil)
	if err := e.grow(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if err := e.grow(ctx, 20); err != nil {
		t.Fatal(err)
	}
	if n, err := e.backend.Count(ctx); err != nil || n != 20 || len(e.sessions) != 20 {
		t.Fatalf("after growing to 20: %d records, %d sessions, %v", n, len(e.sessions), err)
	}
	for _, req := range e.sessions {
		rec := httptest.NewRecorder()
		e.read.ServeHTTP(rec, req)
		if rec.Code != 200 || e.sawErr != nil || !slices.Equal(e.sawCart, want.Cart) {
			t.Fatalf("read: status %d, cart %+v, %v; want the reference cart", rec.Code, e.sawCart, e.sawErr)
		}
	}

	r := e.sessions[3].Clone(ctx)
	r.URL.RawQuery = "77"
	rec := httptest.NewRecorder()
	e.write.ServeHTTP(rec, r)
	e.read.ServeHTTP(httptest.NewRecorder(), e.sessions[3])
	if rec.Code != 200 || len(e.sawCart) < 2 || e.sawCart[1].Qty != 77 {
		t.Errorf("after a write of 77: status %d, cart %+v", rec.Code, e.sawCart)
	}

	for range 3 {
		if _, err := newSession(e.expired, e.createExpired, "usr_expired"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := e.store.DeleteExpired(ctx, e.now); err != nil || n != 3 {
		t.Errorf("DeleteExpired: %d, %v; want the 3 expired records", n, err)
	}
	// usr_00000001 owns the sessions seeded third and fourth.
	if n, err := e.live.RevokeUser(ctx, "usr_00000001"); err != nil || n != sessionsPerUser {
		t.Errorf("RevokeUser: %d, %v; want %d", n, err, sessionsPerUser)
	}
	if n, err := e.backend.Count(ctx); err != nil || n != 20-sessionsPerUser {
		t.Errorf("left %d records, %v; want %d", n, err, 20-sessionsPerUser)
	}
}
