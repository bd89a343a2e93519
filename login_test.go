package session_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

// lifecycleStores returns a cookie store, a server store (memory) and a
// hybrid store over one fresh key ring, by name.
func lifecycleStores(t *testing.T) map[string]session.Store {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	server := func() *serverstore.Store {
		ss, err := serverstore.New(keys, memstore.New(memstore.Options{}), serverstore.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return ss
	}
	hs, err := hybrid.New(keys, server(), hybrid.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]session.Store{"cookie": cs, "server": server(), "hybrid": hs}
}

// loginMux is an application that forgets to call Renew: /visit starts a
// session, /login?user= logs a user in with SetUser alone, /whoami prints
// the session's user and ID.
func loginMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set("lang", "en"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).SetUser(r.FormValue("user"))
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		fmt.Fprintf(w, "%s %s", s.User(), s.ID())
	})
	return mux
}

// post runs one request through h with cookie c, if any, and returns the
// body and the session cookie set, if any.
func post(t *testing.T, m *session.Manager, h http.Handler, path string, c *http.Cookie) (string, *http.Cookie) {
	t.Helper()
	req := httptest.NewRequest("POST", path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d, body %q", path, rec.Code, rec.Body)
	}
	return rec.Body.String(), sessionCookie(rec.Result(), m.CookieName())
}

// TestSessionFixationOnLogin: an attacker gets a session token from the
// site and plants it in the victim's browser; the victim logs in with it.
// The planted token must not become the victim's login (server mode, where
// it names the record), and the logged-in session must not keep the ID the
// attacker knows (either mode: an application may key data by it), even
// though the application calls SetUser without Renew.
func TestSessionFixationOnLogin(t *testing.T) {
	for mode, store := range lifecycleStores(t) {
		t.Run(mode, func(t *testing.T) {
			m, err := session.NewManager(store, session.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			h := m.Middleware(loginMux())
			_, planted := post(t, m, h, "/visit", nil)
			var plantedID string
			if _, err := fmt.Sscanf(bodyOf(post(t, m, h, "/whoami", planted)), " %s", &plantedID); err != nil {
				t.Fatal(err)
			}
			_, victim := post(t, m, h, "/login?user=victim", planted)
			if victim == nil {
				t.Fatal("login set no cookie")
			}
			if got := bodyOf(post(t, m, h, "/whoami", victim)); got != "victim "+idOf(got) || idOf(got) == plantedID {
				t.Errorf("the victim's session: %q; want user victim under a new ID, not the planted %q", got, plantedID)
			}
			if got := bodyOf(post(t, m, h, "/whoami", planted)); got[0] != ' ' {
				t.Errorf("the attacker's planted token after the victim's login: %q, want no user", got)
			}
		})
	}
}

// bodyOf returns the body of a serve call.
func bodyOf(body string, _ *http.Cookie) string { return body }

// idOf returns the ID in a /whoami body.
func idOf(body string) string {
	for i := len(body) - 1; i >= 0; i-- {
		if body[i] == ' ' {
			return body[i+1:]
		}
	}
	return body
}

// TestKeepIDOnLogin: the opt-out keeps the ID across SetUser, so that the
// application's own Renew is the only defence.
func TestKeepIDOnLogin(t *testing.T) {
	store := lifecycleStores(t)["server"]
	m, err := session.NewManager(store, session.Options{KeepIDOnLogin: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(loginMux())
	_, c := post(t, m, h, "/visit", nil)
	before := idOf(bodyOf(post(t, m, h, "/whoami", c)))
	_, c = post(t, m, h, "/login?user=ada", c)
	if got := bodyOf(post(t, m, h, "/whoami", c)); got != "ada "+before {
		t.Errorf("after login with KeepIDOnLogin: %q, want %q", got, "ada "+before)
	}
}
