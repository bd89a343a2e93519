package otelsession_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/otelsession"
	"github.com/sessionseal/session/serverstore"
)

// flaky is a backend whose revocation stamps can be made unreadable.
type flaky struct {
	serverstore.Backend
	down atomic.Bool
}

func (f *flaky) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	if f.down.Load() {
		return nil, fmt.Errorf("flaky: %w", session.ErrStoreUnavailable)
	}
	return f.Backend.GetStamp(ctx, key)
}

// rig is a Manager over a hybrid store over memstore, with a key ring that
// follows a file, reporting to an otelsession.Observer.
type rig struct {
	t       *testing.T
	m       *session.Manager
	server  *serverstore.Store
	db      *flaky
	clk     *testkit.Clock
	reader  *sdkmetric.ManualReader
	spans   *tracetest.SpanRecorder
	ring    string // the key ring file
	keys    *keyrotation.Keyring
	handler http.Handler

	mu      sync.Mutex
	secrets []string // tokens, session IDs, user IDs and values: never in an attribute
	barrier *sync.WaitGroup
}

const user = "user-42"

// quiet drops the logs of the failures the test provokes.
var quiet = slog.New(slog.DiscardHandler)

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, clk: testkit.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)),
		reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	r.ring = filepath.Join(t.TempDir(), "keys.json")
	first, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.WriteFile(r.ring); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.keys, err = keyrotation.WatchFile(ctx, r.ring, 5*time.Millisecond, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	r.db = &flaky{Backend: memstore.New(memstore.Options{})}
	r.server, err = serverstore.New(r.keys, r.db, serverstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.server.Close() })
	store, err := hybrid.New(r.keys, r.server, hybrid.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	obs, err := otelsession.New(otelsession.WithMeterProvider(mp), otelsession.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	r.m, err = session.NewManager(store, session.Options{Observer: obs, Now: r.clk.Now, Logger: quiet,
		Cookie: session.CookieOptions{AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /visit", func(w http.ResponseWriter, req *http.Request) {
		s := session.From(req.Context())
		n, _, _ := session.Value[int](s, "visits")
		r.set(s, "visits", n+1)
	})
	mux.HandleFunc("GET /peek", func(w http.ResponseWriter, req *http.Request) {})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, req *http.Request) {
		r.set(session.From(req.Context()), "big", strings.Repeat("too big for a cookie ", 250))
	})
	mux.HandleFunc("GET /set/{key}", func(w http.ResponseWriter, req *http.Request) {
		r.set(session.From(req.Context()), req.PathValue("key"), "secret value "+req.PathValue("key"))
		// Both requests have loaded the session before either saves.
		r.barrier.Done()
		r.barrier.Wait()
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, req *http.Request) {
		session.From(req.Context()).SetUser(user)
	})
	r.handler = r.m.Middleware(mux)
	r.secrets = append(r.secrets, user)
	return r
}

// set sets key to v in s and remembers the session's ID and v as secrets.
func (r *rig) set(s *session.Session, key string, v any) {
	if err := s.Set(key, v); err != nil {
		r.t.Error(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s.ID())
	if str, ok := v.(string); ok {
		r.secrets = append(r.secrets, str)
	}
}

// get sends GET path with the session cookie token, and returns the status
// and the new token, or token when the response set none.
func (r *rig) get(path, token string) (int, string) {
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: r.m.CookieName(), Value: token})
	}
	rec := httptest.NewRecorder()
	r.handler.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == r.m.CookieName() && c.Value != "" {
			token = c.Value
			r.mu.Lock()
			r.secrets = append(r.secrets, c.Value)
			r.mu.Unlock()
		}
	}
	return rec.Code, token
}

func (r *rig) collect() metricdata.ResourceMetrics {
	r.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		r.t.Fatal(err)
	}
	return rm
}

// point is one data point, named by its metric and attributes, such as
// "sessionseal.session.loads{sessionseal.result=found,sessionseal.source=cookie}".
func point(name string, set attribute.Set) string {
	var kv []string
	for it := set.Iter(); it.Next(); {
		a := it.Attribute()
		kv = append(kv, string(a.Key)+"="+a.Value.Emit())
	}
	return name + "{" + strings.Join(kv, ",") + "}"
}

// values returns every data point: sums and gauges by value, histograms by
// count.
func values(rm metricdata.ResourceMetrics) map[string]float64 {
	got := make(map[string]float64)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[point(m.Name, p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					got[point(m.Name, p.Attributes)] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[point(m.Name, p.Attributes)] = float64(p.Count)
				}
			default:
				panic(fmt.Sprintf("unexpected data %T of %s", d, m.Name))
			}
		}
	}
	return got
}

// waitFor polls the metrics until the point has the value want: the key
// ring's watcher reloads on its own goroutine.
func (r *rig) waitFor(p string, want float64) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for values(r.collect())[p] != want {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s never reached %v", p, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScriptedRequests(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()

	_, small := r.get("/visit", "")   // new session, saved in its cookie
	_, small = r.get("/visit", small) // found in its cookie, saved there
	_, ref := r.get("/big", small)    // outgrows the cookie: spills to the server store
	r.get("/peek", ref)               // found on the server, unchanged
	var wg sync.WaitGroup             // two requests change the same session at once:
	r.barrier = new(sync.WaitGroup)   // one saves first, the other merges and saves again
	r.barrier.Add(2)
	for _, key := range []string{"a", "b"} {
		wg.Go(func() { r.get("/set/"+key, ref) })
	}
	wg.Wait()
	_, login := r.get("/login", "") // a user's session, in its cookie
	r.get("/peek", login)           // revocation stamp read from the store
	r.get("/peek", login)           // and then from the cache
	r.clk.Advance(2 * time.Minute)  // past the cache's TTL
	r.db.down.Store(true)
	if code, _ := r.get("/peek", login); code != http.StatusServiceUnavailable {
		t.Errorf("stamp unreadable: status %d, want 503 (fail closed)", code)
	}
	r.db.down.Store(false)
	if _, err := r.m.RevokeUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	r.get("/peek", login) // revoked

	// The seals so far: 3 cookies; 5 records: the spill, the first of the
	// two concurrent saves, the second's losing and winning writes, and the
	// device entry that lists the logged-in cookie session.
	got := values(r.collect())
	id := r.keys.Keys()[0].ID
	for p, want := range map[string]float64{
		point("sessionseal.key.seals", attribute.NewSet(attribute.Int64("sessionseal.key.id", int64(id)),
			attribute.String("sessionseal.key.state", "primary"))): 8,
		point("sessionseal.key.nonce_bound.utilization", attribute.NewSet(attribute.Int64("sessionseal.key.id", int64(id)),
			attribute.String("sessionseal.key.state", "primary"))): 8.0 / (1 << 32),
	} {
		if got[p] != want {
			t.Errorf("%s = %v, want %v", p, got[p], want)
		}
	}

	// A new ring: the reference token's key is gone.
	next, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := next.WriteFile(r.ring); err != nil {
		t.Fatal(err)
	}
	r.waitFor("sessionseal.keyring.reloads{sessionseal.result=new_primary}", 1)
	r.get("/peek", ref) // unknown key
	if err := os.WriteFile(r.ring, []byte("{not a key ring"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.waitFor("sessionseal.keyring.reloads{sessionseal.result=error}", 1)

	// The spilled record and the user's stamp, a year later.
	if n, err := r.server.DeleteExpired(ctx, r.clk.Now().AddDate(1, 0, 0)); err != nil || n != 2 {
		t.Errorf("DeleteExpired = %d, %v; want 2, nil", n, err)
	}

	got = values(r.collect())
	want := map[string]float64{
		"sessionseal.session.loads{sessionseal.result=none,sessionseal.source=none}":                            2,
		"sessionseal.session.loads{sessionseal.mode=cookie,sessionseal.result=found,sessionseal.source=cookie}": 4,
		"sessionseal.session.loads{sessionseal.mode=server,sessionseal.result=found,sessionseal.source=cookie}": 3,
		"sessionseal.session.loads{sessionseal.result=error,sessionseal.source=cookie}":                         1,
		"sessionseal.session.loads{sessionseal.result=invalid,sessionseal.source=cookie}":                       1,
		"sessionseal.session.loads{sessionseal.result=unknown_key,sessionseal.source=cookie}":                   1,
		"sessionseal.session.saves{sessionseal.mode=cookie,sessionseal.result=saved}":                           3,
		"sessionseal.session.saves{sessionseal.mode=server,sessionseal.result=saved}":                           3,
		"sessionseal.token.size{sessionseal.mode=cookie}":                                                       3,
		"sessionseal.token.size{sessionseal.mode=server}":                                                       3,
		"sessionseal.store.duration{sessionseal.operation=load}":                                                9,
		"sessionseal.store.duration{error.type=store_unavailable,sessionseal.operation=load}":                   1,
		"sessionseal.store.duration{sessionseal.operation=save}":                                                6,
		"sessionseal.revocation.checks{sessionseal.result=valid,sessionseal.source=store}":                      1,
		"sessionseal.revocation.checks{sessionseal.result=valid,sessionseal.source=cache}":                      1,
		"sessionseal.revocation.checks{sessionseal.result=failed_closed,sessionseal.source=store}":              1,
		"sessionseal.revocation.checks{sessionseal.result=revoked,sessionseal.source=store}":                    1,
		"sessionseal.store.merges{}":                                  1,
		"sessionseal.keyring.reloads{sessionseal.result=new_primary}": 1,
		"sessionseal.keyring.reloads{sessionseal.result=error}":       1,
		"sessionseal.store.cleanups{sessionseal.result=ok}":           1,
		"sessionseal.store.cleanup.deleted{}":                         2,
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s = %v, want %v", p, got[p], w)
		}
	}
	for p, v := range got {
		if _, ok := want[p]; !ok && !strings.HasPrefix(p, "sessionseal.key.") {
			t.Errorf("unexpected point %s = %v", p, v)
		}
	}

	// A span for each store call, timed by the event's latency.
	names := make(map[string]int)
	for _, s := range r.spans.Ended() {
		names[s.Name()]++
		if !s.StartTime().Before(s.EndTime()) && s.StartTime() != s.EndTime() {
			t.Errorf("span %s ends before it starts", s.Name())
		}
	}
	if names["sessionseal.store.load"] != 10 || names["sessionseal.store.save"] != 6 || len(names) != 2 {
		t.Errorf("spans %v, want 10 sessionseal.store.load and 6 sessionseal.store.save", names)
	}
	r.checkAttributes(r.collect())
}

// checkAttributes fails the test if a metric's or a span's attribute holds
// a token, a session ID, a user ID or a value.
func (r *rig) checkAttributes(rm metricdata.ResourceMetrics) {
	r.t.Helper()
	var sets []attribute.Set
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					sets = append(sets, p.Attributes)
				}
			}
		}
	}
	for _, s := range r.spans.Ended() {
		sets = append(sets, attribute.NewSet(s.Attributes()...))
		if s.Status().Description != "" {
			sets = append(sets, attribute.NewSet(attribute.String("status", s.Status().Description)))
		}
	}
	if len(r.secrets) < 10 {
		r.t.Fatalf("only %d secrets recorded", len(r.secrets))
	}
	for _, set := range sets {
		for _, a := range set.ToSlice() {
			v := a.Value.Emit()
			if len(v) > 32 {
				r.t.Errorf("attribute %s=%q: longer than any name", a.Key, v)
			}
			for _, secret := range r.secrets {
				if strings.Contains(v, secret) {
					r.t.Errorf("attribute %s=%q holds a secret", a.Key, v)
				}
			}
		}
	}
}

// TestNoProvider checks that New refuses a nil provider rather than panic
// on the first event.
func TestNoProvider(t *testing.T) {
	if _, err := otelsession.New(otelsession.WithMeterProvider(nil)); err == nil || !strings.HasPrefix(err.Error(), "otelsession: ") {
		t.Errorf("New(nil meter provider) = %v, want an otelsession error", err)
	}
}
