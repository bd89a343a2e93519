package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/redisproc"
)

// TestStoreFlags checks the flags that choose the server store: their
// defaults, the URLs taken from the environment, and flags that override it.
func TestStoreFlags(t *testing.T) {
	env := map[string]string{"REDIS_URL": "redis://env:6379/0", "DATABASE_URL": "postgres://env/db"}
	for _, tc := range []struct {
		name string
		args []string
		want config
	}{
		{"defaults", nil, config{Store: "mongo", RedisURL: "redis://env:6379/0", PostgresURL: "postgres://env/db"}},
		{"memory", []string{"-store", "memory"}, config{Store: "memory", RedisURL: "redis://env:6379/0", PostgresURL: "postgres://env/db"}},
		{"redis", []string{"-store", "redis", "-redis-url", "redis://flag:6380/1"},
			config{Store: "redis", RedisURL: "redis://flag:6380/1", PostgresURL: "postgres://env/db"}},
		{"postgres", []string{"-store=postgres", "-postgres-url=postgres://flag/db"},
			config{Store: "postgres", RedisURL: "redis://env:6379/0", PostgresURL: "postgres://flag/db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("shop", flag.ContinueOnError)
			var got config
			parseStoreFlags(fs, &got, func(k string) string { return env[k] })
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if got.Store != tc.want.Store || got.RedisURL != tc.want.RedisURL || got.PostgresURL != tc.want.PostgresURL {
				t.Errorf("got store %q, redis %q, postgres %q; want %q, %q, %q",
					got.Store, got.RedisURL, got.PostgresURL, tc.want.Store, tc.want.RedisURL, tc.want.PostgresURL)
			}
		})
	}
}

// TestUnknownStore checks that a misspelt store is an error, not the
// default.
func TestUnknownStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := newShop(ctx, config{KeysPath: filepath.Join(t.TempDir(), "keys.json"), Store: "mongodb"})
	if err == nil || !strings.Contains(err.Error(), `unknown store "mongodb"`) {
		t.Errorf("got %v, want an unknown store error", err)
	}
}

// TestStores runs the shop over each server store but MongoDB, which the
// other tests use, through the store selection of its flags: memory, and a
// real Redis and PostgreSQL started on loopback (skipped when their
// programs are not installed, unless CI is set). A cart that outgrows the
// cookie moves to the store, the status bar names it, the store holds the
// one record, the cart survives the next request, and removing lines brings
// it back to the cookie and deletes the record.
func TestStores(t *testing.T) {
	for _, tc := range []struct {
		store string
		mode  string // how the status bar names the store
		cfg   func(t *testing.T, cfg *config)
	}{
		{"memory", "memory", func(*testing.T, *config) {}},
		{"redis", "Redis", func(t *testing.T, cfg *config) {
			srv, err := redisproc.Start(redisproc.Options{})
			if errors.Is(err, redisproc.ErrNotInstalled) && os.Getenv("CI") == "" {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			cfg.RedisURL = "redis://" + srv.Addr() + "/0"
		}},
		{"postgres", "PostgreSQL", func(t *testing.T, cfg *config) { cfg.PostgresURL = pgtest.URL(t) }},
	} {
		t.Run(tc.store, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg := config{KeysPath: filepath.Join(t.TempDir(), "keys.json"), Store: tc.store}
			tc.cfg(t, &cfg)
			sh, err := newShop(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer sh.Close(ctx)
			srv := httptest.NewServer(sh.handler)
			defer srv.Close()
			v := (&testShop{shop: sh, url: srv.URL}).visitor(t)
			p := v.get("/")
			if p.Code != http.StatusOK || p.Mode != "cookie" {
				t.Fatalf("GET /: got %d in the %s, want 200 in the cookie", p.Code, p.Mode)
			}
			for i := 0; p.Mode != tc.mode; i++ {
				if i == 60 {
					t.Fatalf("still in the %s after %d lines (cookie %d bytes)", p.Mode, p.CartCount, p.CookieSize)
				}
				p = v.post("/cart/add", url.Values{"sku": {catalogue[i%len(catalogue)].SKU}, "qty": {"1"}})
			}
			if p.TokenKind != "JWT reference" {
				t.Errorf("in the %s the token is a %q, want a JWT reference", p.Mode, p.TokenKind)
			}
			if n, err := sh.db.backend.Count(ctx); err != nil || n != 1 {
				t.Errorf("the %s holds %d records (%v), want the session's", tc.mode, n, err)
			}
			lines := p.CartCount
			if p = v.get("/cart"); p.Mode != tc.mode || p.CartCount != lines {
				t.Errorf("GET /cart: got %d lines in the %s, want %d in the %s", p.CartCount, p.Mode, lines, tc.mode)
			}
			for removed := 1; p.Mode != "cookie"; removed++ {
				if removed > 10 {
					t.Fatalf("still in the %s after removing %d lines", p.Mode, removed-1)
				}
				p = v.post("/cart/remove", url.Values{"line": {strconv.Itoa(removed)}})
				if p.CartCount != lines-removed {
					t.Fatalf("after removing %d of %d lines the page shows %d", removed, lines, p.CartCount)
				}
			}
			if n, err := sh.db.backend.Count(ctx); err != nil || n != 0 {
				t.Errorf("back in the cookie, the %s holds %d records (%v), want none", tc.mode, n, err)
			}
		})
	}
}
