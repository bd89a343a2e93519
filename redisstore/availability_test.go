package redisstore_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/redisstore/internal/redistest"
	"github.com/sessionseal/session/serverstore"
)

// calls runs every method of b once with ctx, and returns each error by
// method name.
func calls(ctx context.Context, b serverstore.Backend) map[string]error {
	key, user := newKey(), newKey()
	doc := &serverstore.Document{Key: key, Data: []byte{1}, User: user, Version: 2, ExpiresAt: time.Now().Add(time.Hour)}
	errs := map[string]error{}
	_, errs["Get"] = b.Get(ctx, key)
	errs["Insert"] = b.Insert(ctx, doc)
	_, errs["Update"] = b.Update(ctx, doc, 1)
	_, errs["Delete"] = b.Delete(ctx, key, 0)
	_, errs["ListUser"] = b.ListUser(ctx, user)
	_, errs["DeleteUser"] = b.DeleteUser(ctx, user)
	_, errs["Scan"] = b.Scan(ctx, nil, 10)
	_, errs["Count"] = b.Count(ctx)
	_, errs["GetStamp"] = b.GetStamp(ctx, key)
	_, errs["RaiseStamp"] = b.RaiseStamp(ctx, key, &serverstore.Stamp{NotBefore: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	errs["DropEnded"] = b.DropEnded(ctx, key, []string{"h"})
	_, errs["DeleteExpired"] = b.DeleteExpired(ctx, time.Now())
	return errs
}

// TestCanceledContext: a call with a canceled context fails at once with
// the context's error, which is the caller's doing, not an outage.
func TestCanceledContext(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		b := newBackend(t, tp, nil)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for name, err := range calls(ctx, b) {
			if !errors.Is(err, context.Canceled) || errors.Is(err, session.ErrStoreUnavailable) {
				t.Errorf("%s with a canceled context: %v, want context.Canceled", name, err)
			}
		}
	})
}

// TestStalledServer: a server that accepts connections and answers
// nothing (a stopped process) costs a call its context's deadline, not
// more, and the error is session.ErrStoreUnavailable; the same backend
// works again once the server does.
func TestStalledServer(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	tp := redistest.Single(t)
	b := backendAt(t, srv.NewClient(t), tp.Prefix(t))
	f := newFixture(t, b)
	m := f.manager(t, nil, session.Options{})
	r, s := testkit.Load(t, m, nil)
	if err := s.Set("k", 1); err != nil {
		t.Fatal(err)
	}
	cookie := testkit.Save(t, m, r, s)

	srv.Pause(t)
	const deadline = 300 * time.Millisecond
	for name, err := range map[string]func(ctx context.Context) error{
		"Get": func(ctx context.Context) error { _, err := b.Get(ctx, newKey()); return err },
		"Store.Load": func(ctx context.Context) error {
			_, err := f.store.Load(ctx, m.CookieName(), cookie.Value, f.clock.Now())
			return err
		},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		start := time.Now()
		e := err(ctx)
		cancel()
		if d := time.Since(start); d > deadline+time.Second {
			t.Errorf("%s on a stalled server took %v, want about its context's %v", name, d, deadline)
		}
		if !errors.Is(e, session.ErrStoreUnavailable) {
			t.Errorf("%s on a stalled server: %v, want ErrStoreUnavailable", name, e)
		}
	}
	srv.Resume(t)
	if _, err := f.store.Load(t.Context(), m.CookieName(), cookie.Value, f.clock.Now()); err != nil {
		t.Errorf("Load after the server resumed: %v", err)
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestUnreachable: every call to a server or cluster that refuses
// connections fails with session.ErrStoreUnavailable, and the Manager
// answers 503.
func TestUnreachable(t *testing.T) {
	// Fewer retries than go-redis's defaults (five dials, three commands,
	// about 0.8 s per call here) keep the test short; the errors are the
	// same.
	for name, client := range map[string]redis.UniversalClient{
		"single": redis.NewClient(&redis.Options{Addr: closedAddr(t), ContextTimeoutEnabled: true,
			DialerRetries: 1, MaxRetries: -1}),
		"cluster": redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{closedAddr(t)}, ContextTimeoutEnabled: true,
			DialerRetries: 1, MaxRetries: -1}),
	} {
		t.Run(name, func(t *testing.T) {
			defer client.Close()
			b := backendAt(t, client, "unreachable:")
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			for call, err := range calls(ctx, b) {
				if !errors.Is(err, session.ErrStoreUnavailable) {
					t.Errorf("%s: %v, want ErrStoreUnavailable", call, err)
				}
			}
			f := newFixture(t, b)
			srv := testkit.KVServer(t, f.manager(t, nil, session.Options{}))
			if code, _, _ := testkit.Request(t, srv.URL+"/set?k=a&v=1", "session", nil); code != http.StatusServiceUnavailable {
				t.Errorf("a new session's save: status %d, want 503", code)
			}
		})
	}
}

// TestOutage kills the server while clients make requests through a
// Manager, and starts it again on the same port: during the outage every
// request gets a 503 and keeps its cookie; afterwards the same process
// serves them again, and no change the server acknowledged is lost. The
// server writes each change to its append-only file before it answers, as
// a production server that must keep sessions across a restart does.
func TestOutage(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{Persistent: true})
	b := backendAt(t, srv.NewClient(t), "outage:")
	f := newFixture(t, b)
	web := testkit.KVServer(t, f.manager(t, nil, session.Options{}))

	testkit.Outage(t, web.URL, func() { srv.Kill(t) }, func() { srv.Restart(t) })
}
