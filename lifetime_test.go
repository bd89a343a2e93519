package session_test

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
)

const day = 24 * time.Hour

// lifetimeMux logs in ?user= at /login, with the session's own timeouts
// when ?idle= and ?life= are given; /token does the same and answers with
// a bearer token; /whoami prints the user.
func lifetimeMux(m *session.Manager) http.Handler {
	mux := http.NewServeMux()
	login := func(r *http.Request) *session.Session {
		s := session.From(r.Context())
		s.SetUser(r.FormValue("user"))
		if r.FormValue("idle") != "" {
			idle, _ := time.ParseDuration(r.FormValue("idle"))
			life, _ := time.ParseDuration(r.FormValue("life"))
			s.SetLifetime(idle, life)
		}
		return s
	}
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { login(r) })
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		token, err := m.Token(r, login(r))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, token)
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.From(r.Context()).User())
	})
	return mux
}

// lifetimeManager returns a Manager over store on clock with opts, and its
// middleware over lifetimeMux.
func lifetimeManager(t *testing.T, store session.Store, clock *testkit.Clock, opts session.Options) (*session.Manager, http.Handler) {
	t.Helper()
	opts.Now, opts.Logger = clock.Now, slog.New(slog.DiscardHandler)
	m, err := session.NewManager(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, m.Middleware(lifetimeMux(m))
}

// whoami asks h for the user of cookie *c and keeps the cookie a touch
// sets in *c.
func whoami(t *testing.T, m *session.Manager, h http.Handler, c **http.Cookie) string {
	t.Helper()
	body, next := post(t, m, h, "/whoami", *c)
	if next != nil && next.MaxAge >= 0 {
		*c = next
	}
	return body
}

// TestSetLifetimeRemembersLogin: "remember me" gives one session a
// persistent cookie and timeouts longer than the Manager's, enforced in
// every store: the session outlives the Manager's idle timeout and
// lifetime while used, and ends at its own lifetime however active it is.
// A session without them keeps the Manager's.
func TestSetLifetimeRemembersLogin(t *testing.T) {
	opts := session.Options{IdleTimeout: time.Hour, Lifetime: day, MaxLifetime: 30 * day}
	for name, store := range lifecycleStores(t) {
		t.Run(name, func(t *testing.T) {
			clock := testkit.NewClock(start)
			m, h := lifetimeManager(t, store, clock, opts)
			_, remembered := post(t, m, h, "/login?user=ada&idle=168h&life=720h", nil)
			_, plain := post(t, m, h, "/login?user=bob", nil)
			if remembered.MaxAge != int((7*day).Seconds()) || plain.MaxAge != 0 {
				t.Fatalf("Max-Age: remembered %d, plain %d; want %d (the own idle timeout) and none",
					remembered.MaxAge, plain.MaxAge, int((7 * day).Seconds()))
			}
			clock.Advance(2 * time.Hour)
			if got := whoami(t, m, h, &plain); got != "" {
				t.Errorf("plain session 2h later: user %q, want none (idle timeout 1h)", got)
			}
			if got := whoami(t, m, h, &remembered); got != "ada" {
				t.Errorf("remembered session 2h later: user %q, want ada", got)
			}
			for range 4 {
				clock.Advance(6 * day)
				if got := whoami(t, m, h, &remembered); got != "ada" {
					t.Fatalf("remembered session %v after login: user %q, want ada", clock.Now().Sub(start), got)
				}
			}
			clock.Advance(6 * day)
			if got := whoami(t, m, h, &remembered); got != "" {
				t.Errorf("remembered session %v after login: user %q, want none (own lifetime 30 days)", clock.Now().Sub(start), got)
			}
		})
	}
}

// TestSetLifetimeBearer: a bearer token of a session with its own timeouts
// lives by them too.
func TestSetLifetimeBearer(t *testing.T) {
	opts := session.Options{IdleTimeout: time.Hour, Lifetime: day, MaxLifetime: 30 * day, Bearer: true}
	for name, store := range lifecycleStores(t) {
		t.Run(name, func(t *testing.T) {
			clock := testkit.NewClock(start)
			m, h := lifetimeManager(t, store, clock, opts)
			token, _ := post(t, m, h, "/token?user=ada&idle=168h&life=720h", nil)
			ask := func() (int, string) {
				req := httptest.NewRequest("GET", "/whoami", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec.Code, rec.Body.String()
			}
			clock.Advance(2 * day)
			if code, body := ask(); code != http.StatusOK || body != "ada" {
				t.Errorf("2 days later: %d %q, want 200 ada (own idle timeout 7 days)", code, body)
			}
			// A server record's idle deadline moved with that use.
			clock.Advance(7*day + time.Second)
			if code, _ := ask(); code != http.StatusUnauthorized {
				t.Errorf("7 days after its last use: status %d, want 401", code)
			}
		})
	}
}

// TestSetLifetimeIsClampedToMaxLifetime: by default (MaxLifetime =
// Lifetime) a session cannot lengthen its timeouts; it can shorten them.
func TestSetLifetimeIsClampedToMaxLifetime(t *testing.T) {
	for name, store := range lifecycleStores(t) {
		t.Run(name, func(t *testing.T) {
			clock := testkit.NewClock(start)
			m, h := lifetimeManager(t, store, clock, session.Options{IdleTimeout: time.Hour, Lifetime: day})
			_, long := post(t, m, h, "/login?user=ada&idle=168h&life=720h", nil)
			if long.MaxAge != int(day.Seconds()) {
				t.Errorf("Max-Age of a 7-day idle timeout under a 1-day maximum: %d, want %d", long.MaxAge, int(day.Seconds()))
			}
			_, short := post(t, m, h, "/login?user=bob&idle=10m&life=1h", nil)
			if short.MaxAge != 600 {
				t.Errorf("Max-Age of a 10-minute idle timeout: %d, want 600", short.MaxAge)
			}
			clock.Advance(11 * time.Minute)
			if got := whoami(t, m, h, &short); got != "" {
				t.Errorf("11 minutes later: user %q, want none (own idle timeout 10 minutes)", got)
			}
			clock.Advance(day - 11*time.Minute)
			if got := whoami(t, m, h, &long); got != "" {
				t.Errorf("a day later: user %q, want none (lifetime clamped to a day)", got)
			}
		})
	}
}

// TestSealedLifetimeAboveMaxIsClampedOnRead: lowering MaxLifetime ends the
// sessions whose own lifetime, sealed under the higher maximum, exceeds
// it: the server's current options bound every deadline.
func TestSealedLifetimeAboveMaxIsClampedOnRead(t *testing.T) {
	for name, store := range lifecycleStores(t) {
		t.Run(name, func(t *testing.T) {
			clock := testkit.NewClock(start)
			before, hBefore := lifetimeManager(t, store, clock, session.Options{Lifetime: day, MaxLifetime: 30 * day})
			after, hAfter := lifetimeManager(t, store, clock, session.Options{Lifetime: day, MaxLifetime: 2 * day})
			_, c := post(t, before, hBefore, "/login?user=ada&idle=168h&life=720h", nil)
			clock.Advance(2*day + time.Second)
			old, lowered := c, c
			if got := whoami(t, before, hBefore, &old); got != "ada" {
				t.Errorf("under the old maximum: user %q, want ada", got)
			}
			if got := whoami(t, after, hAfter, &lowered); got != "" {
				t.Errorf("under the lowered maximum of 2 days: user %q, want none", got)
			}
		})
	}
}

// TestForgedLifetimeIsRefused: the session's own timeouts are sealed with
// it; a cookie changed anywhere, to lengthen them or otherwise, is no
// session.
func TestForgedLifetimeIsRefused(t *testing.T) {
	store := lifecycleStores(t)["cookie"]
	clock := testkit.NewClock(start)
	m, h := lifetimeManager(t, store, clock, session.Options{MaxLifetime: 30 * day})
	_, c := post(t, m, h, "/login?user=ada&idle=1m&life=2m", nil)
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		forged := append([]byte(nil), raw...)
		forged[i] ^= 0x01
		fc := &http.Cookie{Name: c.Name, Value: base64.RawURLEncoding.EncodeToString(forged)}
		if got := whoami(t, m, h, &fc); got != "" {
			t.Errorf("byte %d flipped: user %q, want none", i, got)
		}
	}
}

// TestMaxLifetimeOptions: MaxLifetime below Lifetime, or negative, is
// refused.
func TestMaxLifetimeOptions(t *testing.T) {
	for name, opts := range map[string]session.Options{
		"under Lifetime": {Lifetime: day, MaxLifetime: time.Hour},
		"under default":  {MaxLifetime: day},
		"negative":       {MaxLifetime: -time.Second},
	} {
		if _, err := session.NewManager(lifecycleStores(t)["cookie"], opts); err == nil {
			t.Errorf("%s: NewManager accepted MaxLifetime %v", name, opts.MaxLifetime)
		}
	}
}
