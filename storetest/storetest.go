package storetest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
)

// Harness is a store under test with the clock that the suite gives the
// Manager: stores keep no clock of their own.
type Harness struct {
	// Store is the store under test, fresh for each test.
	Store session.Store
	// Now is the clock the suite's Manager reads.
	Now func() time.Time
	// Advance moves the clock forward.
	Advance func(time.Duration)
	// Stateful is set for stores that keep server records: after Destroy,
	// or after Renew and a save, the old token must no longer load.
	Stateful bool
	// Merges is set for stores that merge concurrent saves of one session:
	// saves that change different keys must all survive.
	Merges bool
}

// Run runs the conformance suite of session.Store, each check as a subtest
// with a store from newHarness, driving the store through a
// session.Manager as requests would.
func Run(t *testing.T, newHarness func(t *testing.T) *Harness) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, h *Harness, m *session.Manager)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"Tampered", testTampered},
		{"CookieName", testCookieName},
		{"Expired", testExpired},
		{"Renew", testRenew},
		{"Destroy", testDestroy},
		{"ConcurrentSaves", testConcurrentSaves},
		{"ConcurrentSessions", testConcurrentSessions},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			m, err := session.NewManager(h.Store, session.Options{Now: h.Now, IdleTimeout: time.Hour,
				Lifetime: 24 * time.Hour, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			c.fn(t, h, m)
		})
	}
}

type item struct {
	SKU string
	Qty int
}

// saved saves a new session with a user, a flash and three values, and
// returns it with its cookie.
func saved(t *testing.T, m *session.Manager) (*session.Session, *http.Cookie) {
	t.Helper()
	r, s := testkit.Load(t, m, nil)
	s.SetUser("user-1")
	s.AddFlash("hello")
	for k, v := range map[string]any{"n": 42, "name": "Ada", "cart": []item{{"BOOK-1", 1}, {"MUG-2", 3}}} {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	c := testkit.Save(t, m, r, s)
	if c.Value == "" {
		t.Fatal("Save set an empty cookie")
	}
	return s, c
}

// load loads the session of c through m and checks that it is the one
// with the given ID.
func load(t *testing.T, m *session.Manager, c *http.Cookie, id string) (*http.Request, *session.Session) {
	t.Helper()
	r, s := testkit.Load(t, m, c)
	if s.ID() != id {
		t.Fatalf("loaded session %q, want %q", s.ID(), id)
	}
	return r, s
}

// wantGone checks that c no longer gives a session: the Manager starts a
// new, empty one.
func wantGone(t *testing.T, m *session.Manager, what string, c *http.Cookie, id string) {
	t.Helper()
	_, s := testkit.Load(t, m, c)
	if s.ID() == id || s.User() != "" || len(s.Keys()) != 0 {
		t.Errorf("%s: loaded session %q (user %q, keys %v), want a new, empty one", what, s.ID(), s.User(), s.Keys())
	}
}

// wantInvalid checks that the store refuses token with session.ErrInvalid.
func wantInvalid(t *testing.T, h *Harness, name, what, token string) {
	t.Helper()
	rec, err := h.Store.Load(t.Context(), name, token, h.Now())
	if !errors.Is(err, session.ErrInvalid) || rec != nil {
		t.Errorf("%s: got %v, %v; want nil, ErrInvalid", what, rec, err)
	}
}

func testRoundTrip(t *testing.T, h *Harness, m *session.Manager) {
	s, c := saved(t, m)
	rec, err := h.Store.Load(t.Context(), m.CookieName(), c.Value, h.Now())
	if err != nil || rec == nil || len(rec.Payload) == 0 || rec.Mode != s.Mode() {
		t.Fatalf("Store.Load: %+v, %v; want the record, in mode %v", rec, err, s.Mode())
	}
	r, got := load(t, m, c, s.ID())
	if got.User() != "user-1" {
		t.Errorf("user: got %q, want user-1", got.User())
	}
	if !slices.Equal(got.Keys(), []string{"cart", "n", "name"}) {
		t.Errorf("Keys: got %v", got.Keys())
	}
	cart, ok, err := session.Value[[]item](got, "cart")
	if err != nil || !ok || len(cart) != 2 || cart[1] != (item{"MUG-2", 3}) {
		t.Errorf("cart: got %v, %v, %v", cart, ok, err)
	}
	if !got.StartedAt().Equal(s.StartedAt()) || !got.IdleDeadline().Equal(s.IdleDeadline()) || !got.Deadline().Equal(s.Deadline()) {
		t.Errorf("times: got %v %v %v, want %v %v %v", got.StartedAt(), got.IdleDeadline(), got.Deadline(),
			s.StartedAt(), s.IdleDeadline(), s.Deadline())
	}
	if f := got.Flashes(); !slices.Equal(f, []string{"hello"}) {
		t.Errorf("Flashes: got %v", f)
	}
	// Saving the loaded session again, changed, gives a cookie for the change.
	if err := got.Set("n", 43); err != nil {
		t.Fatal(err)
	}
	c2 := testkit.Save(t, m, r, got)
	_, again := load(t, m, c2, s.ID())
	if n, _, _ := session.Value[int](again, "n"); n != 43 {
		t.Errorf("after the second save: n = %d, want 43", n)
	}
	if f := again.Flashes(); len(f) != 0 {
		t.Errorf("Flashes after they were read: %v, want none", f)
	}
}

func testNotFound(t *testing.T, h *Harness, m *session.Manager) {
	for _, token := range []string{"", "x", "not a token", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl"} {
		wantInvalid(t, h, m.CookieName(), fmt.Sprintf("token %q", token), token)
		if token != "" {
			wantGone(t, m, fmt.Sprintf("cookie %q", token), &http.Cookie{Name: m.CookieName(), Value: token}, "")
		}
	}
}

func testTampered(t *testing.T, h *Harness, m *session.Manager) {
	s, c := saved(t, m)
	token := c.Value
	for _, i := range []int{0, len(token) / 3, len(token) / 2, len(token) - 2, len(token) - 1} {
		b := []byte(token)
		b[i] = testkit.Flip(b[i])
		wantInvalid(t, h, m.CookieName(), fmt.Sprintf("character %d changed", i), string(b))
		wantGone(t, m, fmt.Sprintf("cookie with character %d changed", i), &http.Cookie{Name: m.CookieName(), Value: string(b)}, s.ID())
	}
	wantInvalid(t, h, m.CookieName(), "truncated", token[:len(token)-4])
}

// testCookieName checks that a token works only under the cookie name it
// was issued for.
func testCookieName(t *testing.T, h *Harness, m *session.Manager) {
	_, c := saved(t, m)
	wantInvalid(t, h, "other-"+m.CookieName(), "token under another cookie name", c.Value)
}

func testExpired(t *testing.T, h *Harness, m *session.Manager) {
	s, c := saved(t, m)
	h.Advance(s.IdleDeadline().Sub(h.Now()) + time.Minute)
	wantGone(t, m, "past the idle deadline", c, s.ID())
}

func testRenew(t *testing.T, h *Harness, m *session.Manager) {
	s, c := saved(t, m)
	r, got := load(t, m, c, s.ID())
	got.Renew()
	c2 := testkit.Save(t, m, r, got)
	if got.ID() == s.ID() {
		t.Fatal("Renew kept the ID")
	}
	_, renewed := load(t, m, c2, got.ID())
	if n, _, _ := session.Value[int](renewed, "n"); n != 42 {
		t.Errorf("value after renew: got %d, want 42", n)
	}
	if h.Stateful {
		wantInvalid(t, h, m.CookieName(), "token of the old ID", c.Value)
		wantGone(t, m, "cookie of the old ID", c, s.ID())
	}
}

func testDestroy(t *testing.T, h *Harness, m *session.Manager) {
	s, c := saved(t, m)
	r, got := load(t, m, c, s.ID())
	got.Destroy()
	if after := testkit.Save(t, m, r, got); after.MaxAge >= 0 {
		t.Errorf("cookie after Destroy: Max-Age %d, want it expired", after.MaxAge)
	}
	if h.Stateful {
		wantInvalid(t, h, m.CookieName(), "token of a destroyed session", c.Value)
		wantGone(t, m, "cookie of a destroyed session", c, s.ID())
	}
}

// request loads the session of c (nil: a new one), lets change modify it
// and saves it, as one request would, and returns the cookie it got.
func request(m *session.Manager, c *http.Cookie, change func(*session.Session) error) (*http.Cookie, error) {
	r := httptest.NewRequest("GET", "/", nil)
	if c != nil {
		r.AddCookie(c)
	}
	s, err := m.Load(r)
	if err != nil {
		return nil, fmt.Errorf("Load: %w", err)
	}
	if err := change(s); err != nil {
		return nil, err
	}
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		return nil, fmt.Errorf("Save: %w", err)
	}
	for _, nc := range w.Result().Cookies() {
		if nc.Name == m.CookieName() {
			return nc, nil
		}
	}
	return nil, errors.New("Save set no cookie")
}

// testConcurrentSaves has requests of one session save different keys at
// once.
func testConcurrentSaves(t *testing.T, h *Harness, m *session.Manager) {
	const n = 20
	s, c := saved(t, m)
	cookies := make([]*http.Cookie, n)
	run(t, n, func(i int) error {
		var err error
		cookies[i], err = request(m, c, func(s *session.Session) error { return s.Set(fmt.Sprintf("k%02d", i), i) })
		if err != nil {
			return fmt.Errorf("request %d: %w", i, err)
		}
		return nil
	})
	if t.Failed() {
		return
	}
	if !h.Merges {
		for i, c := range cookies {
			_, got := load(t, m, c, s.ID())
			if v, ok, _ := session.Value[int](got, fmt.Sprintf("k%02d", i)); !ok || v != i {
				t.Errorf("request %d: its own key reads %d, %v", i, v, ok)
			}
		}
		return
	}
	_, final := load(t, m, cookies[n-1], s.ID())
	for i := range n {
		if v, ok, _ := session.Value[int](final, fmt.Sprintf("k%02d", i)); !ok || v != i {
			t.Errorf("key k%02d: got %d, %v; lost by a concurrent save", i, v, ok)
		}
	}
}

// testConcurrentSessions has requests of different sessions save at once.
func testConcurrentSessions(t *testing.T, _ *Harness, m *session.Manager) {
	const n = 20
	cookies := make([]*http.Cookie, n)
	run(t, n, func(i int) error {
		var err error
		cookies[i], err = request(m, nil, func(s *session.Session) error { return s.Set("i", i) })
		if err != nil {
			return fmt.Errorf("session %d: %w", i, err)
		}
		return nil
	})
	if t.Failed() {
		return
	}
	for i, c := range cookies {
		_, s := testkit.Load(t, m, c)
		if v, ok, _ := session.Value[int](s, "i"); !ok || v != i {
			t.Errorf("session %d: i reads %d, %v", i, v, ok)
		}
	}
}
