package pgstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/pgstore"
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
	b := newBackend(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, err := range calls(ctx, b) {
		if !errors.Is(err, context.Canceled) || errors.Is(err, session.ErrStoreUnavailable) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", name, err)
		}
	}
}

// TestBlockedStatement: a statement that waits for a row another
// transaction holds returns promptly when its context is canceled (with
// context.Canceled) or runs out of time (session.ErrStoreUnavailable,
// which the engine's timeout gives); the backend works on afterwards. A
// statement given up on may still be applied: pgx asks the server to
// cancel it from a goroutine while it closes the connection, and a row
// that frees before the request arrives lets the statement commit. The
// package docs say so.
func TestBlockedStatement(t *testing.T) {
	url := pgtest.URL(t)
	b := backendOn(t, newPool(t, url, nil), pgstore.Options{})
	key := newKey()
	doc := &serverstore.Document{Key: key, Data: []byte{1}, Version: 1, ExpiresAt: time.Now().Add(time.Hour)}
	if err := b.Insert(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	holder := newPool(t, url, nil)
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM sessionseal_sessions WHERE key = $1 FOR UPDATE`, key); err != nil {
		t.Fatal(err)
	}
	const wait = 300 * time.Millisecond
	next := *doc
	next.Version, next.Data = 2, []byte{2}
	for _, c := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
		not  error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(wait, cancel)
			return ctx, cancel
		}, context.Canceled, session.ErrStoreUnavailable},
		{"deadline", func() (context.Context, context.CancelFunc) { return context.WithTimeout(t.Context(), wait) },
			session.ErrStoreUnavailable, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			ctx, cancel := c.ctx()
			defer cancel()
			ok, err := b.Update(ctx, &next, 1)
			// The row is held until the end of the test: returning at
			// all is returning promptly, whatever the machine's load.
			if d := time.Since(start); d < wait || d > wait+5*time.Second {
				t.Errorf("Update of a held row returned after %v, want about %v", d, wait)
			}
			if ok || !errors.Is(err, c.want) || errors.Is(err, c.not) {
				t.Errorf("Update of a held row: %v, %v; want %v", ok, err, c.want)
			}
		})
	}
	// Reads do not wait for writers.
	if _, err := b.Get(t.Context(), key); err != nil {
		t.Errorf("Get of a held row: %v", err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The updates given up on above wrote the same document: whichever
	// is applied, the row holds it at version 2.
	if _, err := b.Update(t.Context(), &next, 1); err != nil {
		t.Errorf("Update once the row is free: %v", err)
	}
	got, err := b.Get(t.Context(), key)
	if err != nil || got == nil || got.Version != 2 || !bytes.Equal(got.Data, next.Data) {
		t.Errorf("record once the row is free: %+v, %v; want version 2 with the new data", got, err)
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

// TestUnreachable: New, and every call of a backend whose server has
// stopped, fail with session.ErrStoreUnavailable, the Manager answers 503
// to new and known sessions alike, and all works again once the server is
// back.
func TestUnreachable(t *testing.T) {
	_, err := pgstore.New(t.Context(), newPool(t, "postgres://postgres@"+closedAddr(t)+"/db", nil), pgstore.Options{})
	if !errors.Is(err, session.ErrStoreUnavailable) {
		t.Errorf("New with nothing listening: %v, want ErrStoreUnavailable", err)
	}

	srv, url := pgtest.StartServer(t)
	b := backendOn(t, newPool(t, url, nil), pgstore.Options{})
	f := newFixture(t, b)
	web := testkit.KVServer(t, f.manager(t, nil, session.Options{}))
	code, _, cookie := testkit.Request(t, web.URL+"/set?k=a&v=1", "session", nil)
	if code != http.StatusOK || cookie == nil {
		t.Fatalf("a save with the server up: status %d, cookie %v", code, cookie)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for call, err := range calls(ctx, b) {
		if !errors.Is(err, session.ErrStoreUnavailable) {
			t.Errorf("%s: %v, want ErrStoreUnavailable", call, err)
		}
	}
	if code, _, _ := testkit.Request(t, web.URL+"/set?k=a&v=1", "session", nil); code != http.StatusServiceUnavailable {
		t.Errorf("a new session's save: status %d, want 503", code)
	}
	if code, _, got := testkit.Request(t, web.URL+"/get?k=a", "session", cookie); code != http.StatusServiceUnavailable || got != cookie {
		t.Errorf("a known session's read: status %d, cookie changed %v; want 503 and the cookie kept", code, got != cookie)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := testkit.Request(t, web.URL+"/get?k=a", "session", cookie); body != "1" {
		t.Errorf("after the restart: value %q, want 1", body)
	}
}

// TestTooManyConnections: a server that refuses a connection for want of
// slots (SQLSTATE 53300, here a role's connection limit) is unavailable.
func TestTooManyConnections(t *testing.T) {
	pool := newPool(t, pgtest.URL(t), nil)
	backendOn(t, pool, pgstore.Options{})
	secret := make([]byte, 16)
	rand.Read(secret)
	role, password := "limited_"+hex.EncodeToString(secret[:6]), hex.EncodeToString(secret)
	if _, err := pool.Exec(t.Context(), fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD '%s' CONNECTION LIMIT 0`, role, password)); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" {
			t.Skipf("DATABASE_URL's role may not create roles: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP ROLE "+role); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(pool.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	limited := newPool(t, u.String(), nil)
	_, err = pgstore.New(t.Context(), limited, pgstore.Options{SkipMigration: true})
	if !errors.Is(err, session.ErrStoreUnavailable) || !strings.Contains(err.Error(), "SQLSTATE 53300") {
		t.Errorf("New over a role out of connections: %v, want ErrStoreUnavailable (SQLSTATE 53300)", err)
	}
}

// TestOutage stops the server while clients make requests through a
// Manager, and starts it again on the same port: during the outage every
// request gets a 503 and keeps its cookie; afterwards the same process,
// with the same pool, serves them again, and no change the server
// acknowledged is lost.
func TestOutage(t *testing.T) {
	srv, url := pgtest.StartServer(t)
	b := backendOn(t, newPool(t, url, nil), pgstore.Options{})
	f := newFixture(t, b)
	web := testkit.KVServer(t, f.manager(t, nil, session.Options{}))

	testkit.Outage(t, web.URL, func() {
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
	}, func() {
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
	})
}
