package testkit

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
)

// Clock is a settable clock for Options.Now fields, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Request sends a GET for url carrying cookie c (when not nil) and returns
// the status, the body, and the cookie named name that the client holds
// afterwards: the one the response set, or c.
func Request(t testing.TB, url, name string, c *http.Cookie) (int, string, *http.Cookie) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c != nil {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, nc := range resp.Cookies() {
		if nc.Name == name {
			c = nc
		}
	}
	return resp.StatusCode, string(body), c
}

// Rotate adds a key to keys and promotes it at once, without the
// propagation delay, and returns its ID. It sets the ring's waits to zero,
// so that the previous primary key can be disabled at once too: a test
// plays every server, and checks what it sealed itself.
func Rotate(t testing.TB, keys *keyrotation.Keyring) uint32 {
	t.Helper()
	if err := keys.SetPropagationDelay(0); err != nil {
		t.Fatal(err)
	}
	if err := keys.SetMaxLifetime(0); err != nil {
		t.Fatal(err)
	}
	id, err := keys.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Promote(id); err != nil {
		t.Fatal(err)
	}
	return id
}

// Flip returns a base64url character other than c, to tamper with one
// character of a token.
func Flip(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// Load loads the session of cookie c through m, as a request would, and
// returns the request with it, for Save. A nil c gives a new session.
func Load(t testing.TB, m *session.Manager, c *http.Cookie) (*http.Request, *session.Session) {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	if c != nil {
		r.AddCookie(c)
	}
	s, err := m.Load(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, s
}

// Save saves s through m, as the end of request r would, and returns the
// cookie it set.
func Save(t testing.TB, m *session.Manager, r *http.Request, s *session.Session) *http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		t.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == m.CookieName() {
			return c
		}
	}
	t.Fatal("Save set no cookie")
	return nil
}

// KVServer is an HTTP test server over m whose handler reads the value of
// ?k= at /get and sets ?k=&v= at /set.
func KVServer(t testing.TB, m *session.Manager) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		v, _, err := session.Value[string](session.From(r.Context()), r.FormValue("k"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set(r.FormValue("k"), r.FormValue("v")); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	srv := httptest.NewServer(m.Middleware(mux))
	t.Cleanup(srv.Close)
	return srv
}
