package session

import (
	"context"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSetCookieMatchesCookieString checks that the Set-Cookie lines the
// Manager renders from its attributes are those http.Cookie.String writes,
// for every attribute option, every kind of cookie and values that
// http.Cookie must clean or quote.
func TestSetCookieMatchesCookieString(t *testing.T) {
	quietCookieLog(t)
	options := []struct {
		name string
		opts CookieOptions
	}{
		{"defaults", CookieOptions{}},
		{"insecure", CookieOptions{AllowInsecureHTTP: true}},
		{"path and domain", CookieOptions{Name: "sid", Path: "/app", Domain: "example.com"}},
		{"domain with a leading dot", CookieOptions{Name: "sid", Domain: ".example.com"}},
		{"strict", CookieOptions{SameSite: http.SameSiteStrictMode}},
		{"none, partitioned", CookieOptions{SameSite: http.SameSiteNoneMode, Partitioned: true}},
	}
	values := []struct {
		name  string
		value string
	}{
		{"empty", ""},
		{"base64url", "AQAAAAEAbWFkZS11cC1ub25jZQ-_0123456789"},
		{"JWT", "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2ln"},
		{"attribute injection", "abc; Domain=evil.example"},
		{"space", "a b"},
		{"comma", "a,b"},
		{"quote and backslash", `a"b\c`},
		{"control and non-ASCII", "a\r\nb\x00c\x7fé"},
	}
	kinds := []struct {
		name    string
		expires int64
		maxAge  int
	}{
		{"browser session", 0, 0},
		{"persistent", time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC).Unix(), 3600},
		{"persistent before 1601", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), 1},
		{"deletion", 0, -1},
	}
	for _, o := range options {
		m, err := NewManager(nopStore{}, Options{Cookie: o.opts})
		if err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		for _, v := range values {
			for _, k := range kinds {
				c := m.cookie
				c.Value, c.MaxAge = v.value, k.maxAge
				if k.maxAge > 0 {
					c.Expires = time.Unix(k.expires, 0)
				}
				want := c.String()
				if got := m.setCookie(v.value, k.expires, k.maxAge); got != want {
					t.Errorf("%s, %s value, %s: got %q, want %q", o.name, v.name, k.name, got, want)
				}
			}
		}
	}
}

// TestSetCookieCarriesNoForeignAttribute checks that a token that is not a
// plain cookie value cannot add an attribute to the session cookie.
func TestSetCookieCarriesNoForeignAttribute(t *testing.T) {
	quietCookieLog(t)
	m, err := NewManager(nopStore{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	line := m.setCookie("abc; Domain=evil.example; Max-Age=99999999", 0, 0)
	c, err := http.ParseSetCookie(line)
	if err != nil {
		t.Fatalf("ParseSetCookie(%q): %v", line, err)
	}
	if c.Domain != "" || c.MaxAge != 0 || strings.Count(line, ";") != 4 {
		t.Errorf("Set-Cookie %q: got Domain %q, Max-Age %d, want the Manager's attributes alone", line, c.Domain, c.MaxAge)
	}
}

// TestPlainCookieValue checks plainCookieValue against http.Cookie, for
// every byte at every position of a value long enough to fill two of the
// eight-byte blocks it tests and a tail.
func TestPlainCookieValue(t *testing.T) {
	quietCookieLog(t)
	for pos := range 19 {
		for c := range 256 {
			b := []byte(strings.Repeat("A", 19))
			b[pos] = byte(c)
			v := string(b)
			want := (&http.Cookie{Name: "n", Value: v}).String() == "n="+v
			if got := plainCookieValue(v); got != want {
				t.Errorf("byte %#x at %d: got %v, want %v", c, pos, got, want)
			}
		}
	}
}

// quietCookieLog discards what net/http logs about the bytes it drops from
// cookie values, for the duration of the test.
func quietCookieLog(t *testing.T) {
	log.SetOutput(io.Discard)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
}

// nopStore is a Store for tests that need a Manager and no sessions.
type nopStore struct{}

func (nopStore) Load(context.Context, string, string, time.Time) (*Record, error) {
	return nil, ErrInvalid
}

func (nopStore) Save(context.Context, string, *Record, time.Time) (string, error) { return "", nil }

func (nopStore) Delete(context.Context, *Record, time.Time) error { return nil }
