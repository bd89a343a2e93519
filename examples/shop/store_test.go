package main

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
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

// TestMemoryStore checks that the store that needs no setup serves the
// shop: a cart that outgrows the cookie moves to memory, the status bar
// says so, and the cart survives the next request.
func TestMemoryStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sh, err := newShop(ctx, config{KeysPath: filepath.Join(t.TempDir(), "keys.json"), Store: "memory"})
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
	for i := 0; p.Mode != "memory"; i++ {
		if i == 60 {
			t.Fatalf("still in the %s after %d lines (cookie %d bytes)", p.Mode, p.CartCount, p.CookieSize)
		}
		p = v.post("/cart/add", url.Values{"sku": {catalogue[i%len(catalogue)].SKU}, "qty": {"1"}})
	}
	lines := p.CartCount
	if p = v.get("/cart"); p.Mode != "memory" || p.CartCount != lines {
		t.Errorf("GET /cart: got %d lines in the %s, want %d in memory", p.CartCount, p.Mode, lines)
	}
}
