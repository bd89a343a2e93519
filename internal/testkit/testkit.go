package testkit

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
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
