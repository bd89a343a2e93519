package pgstore_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/serverstore"
)

// counter counts the statements pgx sends (its tracer) and the round trips
// to the server: the writes to the connection, since pgx sends all the
// messages of a step in one write and then waits for the answer.
type counter struct {
	statements, prepares, writes atomic.Int64
}

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.statements.Add(1)
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *counter) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.prepares.Add(1)
	return ctx
}

func (c *counter) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

func (c *counter) reset() { c.statements.Store(0); c.prepares.Store(0); c.writes.Store(0) }

// countingConn counts its writes in c.
type countingConn struct {
	net.Conn
	c *counter
}

func (cc countingConn) Write(p []byte) (int, error) {
	cc.c.writes.Add(1)
	return cc.Conn.Write(p)
}

// countedPool returns a pool of one connection whose statements and round
// trips c counts. It does not ping a connection before handing it out,
// which pgxpool does by default when the connection has been idle for a
// second: one more round trip, which the test would count when the
// machine is slow.
func countedPool(t *testing.T, url string, c *counter) *pgxpool.Pool {
	return newPool(t, url, func(cfg *pgxpool.Config) {
		cfg.MaxConns = 1
		cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
		cfg.ConnConfig.Tracer = c
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := new(net.Dialer).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{conn, c}, nil
		}
	})
}

// TestRoundTrips: every backend call is one statement, one round trip once
// the connection has prepared it (two the first time), except
// DeleteExpired, one per table; through the store, a read costs one round
// trip, a new session one, a change two.
func TestRoundTrips(t *testing.T) {
	c := new(counter)
	url := pgtest.URL(t)
	b := backendOn(t, countedPool(t, url, c), pgstore.Options{})
	ctx := t.Context()
	key, user, stamp := newKey(), newKey(), newKey()
	now := time.Now()
	doc := &serverstore.Document{Key: key, Data: []byte{1}, User: user, Version: 1, ExpiresAt: now.Add(time.Hour), Updated: now}
	next := func(v int64, userChanged bool) *serverstore.Document {
		d := *doc
		d.Version, d.UserChanged = v, userChanged
		return &d
	}
	ops := []struct {
		name string
		want int64 // statements, and round trips once prepared
		call func(run int) error
	}{
		{"Get", 1, func(int) error { _, err := b.Get(ctx, key); return err }},
		{"Insert", 1, func(int) error {
			return b.Insert(ctx, &serverstore.Document{Key: newKey(), Data: []byte{1}, Version: 1})
		}},
		{"Update", 1, func(run int) error { _, err := b.Update(ctx, next(int64(10+run), false), 1); return err }},
		{"Update with a new user", 1, func(run int) error { _, err := b.Update(ctx, next(int64(20+run), true), 1); return err }},
		{"Delete", 1, func(int) error { _, err := b.Delete(ctx, newKey(), 3); return err }},
		{"Delete at any version", 1, func(int) error { _, err := b.Delete(ctx, newKey(), 0); return err }},
		{"ListUser", 1, func(int) error { _, err := b.ListUser(ctx, user); return err }},
		{"DeleteUser", 1, func(int) error { _, err := b.DeleteUser(ctx, newKey()); return err }},
		{"Scan", 1, func(int) error { _, err := b.Scan(ctx, nil, 10); return err }},
		{"Count", 1, func(int) error { _, err := b.Count(ctx); return err }},
		{"RaiseStamp", 1, func(int) error {
			_, err := b.RaiseStamp(ctx, stamp, &serverstore.Stamp{NotBefore: now, ExpiresAt: now.Add(time.Hour),
				Ended: map[string]time.Time{"h": now}})
			return err
		}},
		{"GetStamp", 1, func(int) error { _, err := b.GetStamp(ctx, stamp); return err }},
		{"DropEnded", 1, func(int) error { return b.DropEnded(ctx, stamp, []string{"h"}) }},
		{"DeleteExpired", 2, func(int) error { _, err := b.DeleteExpired(ctx, now); return err }},
	}
	// Another pool, so that the first Insert counted prepares its statement.
	if err := backendOn(t, newPool(t, url, nil), pgstore.Options{}).Insert(ctx, doc); err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		for _, op := range ops {
			c.reset()
			if err := op.call(run); err != nil {
				t.Fatalf("%s: %v", op.name, err)
			}
			want := op.want
			if run == 0 {
				want = 2 * op.want // prepare, then execute
			}
			if got := c.statements.Load(); got != op.want {
				t.Errorf("%s: %d statements, want %d", op.name, got, op.want)
			}
			if got := c.writes.Load(); got != want {
				t.Errorf("%s, run %d: %d round trips, want %d", op.name, run+1, got, want)
			}
			if run == 1 {
				t.Logf("%-24s %d round trip(s), %d the first time", op.name, c.writes.Load(), 2*op.want)
			}
		}
	}
}

// TestStoreRoundTrips: through the store and a Manager, a request that
// reads its session costs one round trip, a new session one, a changed
// session two (the read, then the update), on a connection that has
// prepared the statements.
func TestStoreRoundTrips(t *testing.T) {
	c := new(counter)
	f := newFixture(t, backendOn(t, countedPool(t, pgtest.URL(t), c), pgstore.Options{}))
	m := f.manager(t, nil, session.Options{})
	// set loads the session of cookie (nil: a new one), sets a value in it
	// and saves it.
	set := func(cookie *http.Cookie, v int) *http.Cookie {
		t.Helper()
		r, s := testkit.Load(t, m, cookie)
		if err := s.Set("k", v); err != nil {
			t.Fatal(err)
		}
		return testkit.Save(t, m, r, s)
	}
	set(set(nil, 1), 2) // prepares the statements on the pool's connection
	var cookie *http.Cookie
	for _, step := range []struct {
		name string
		want int64
		fn   func()
	}{
		{"a new session", 1, func() { cookie = set(nil, 1) }},
		{"a request that reads it", 1, func() { testkit.Load(t, m, cookie) }},
		{"a request that changes it", 2, func() { cookie = set(cookie, 2) }},
	} {
		c.reset()
		step.fn()
		if got := c.writes.Load(); got != step.want {
			t.Errorf("%s: %d round trips, want %d", step.name, got, step.want)
		}
		t.Logf("%-26s %d round trip(s)", step.name, c.writes.Load())
	}
}
