package session_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/sessionseal/session"
)

// TestConcurrentCookieWritesLastResponseWins shows what the README states
// for cookie mode: two requests sent with the same cookie each answer with
// the whole session as they saw it, with their own change only, and the
// client keeps the cookie of the response it receives last; the other
// request's change is lost. A server store merges them instead.
func TestConcurrentCookieWritesLastResponseWins(t *testing.T) {
	stores := lifecycleStores(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set(r.FormValue("k"), "1"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Join(session.From(r.Context()).Keys(), " ")))
	})
	for _, c := range []struct {
		store string
		want  string // keys after both requests, with the second response's cookie
	}{
		{"cookie", "b start"},
		{"server", "a b start"},
	} {
		t.Run(c.store, func(t *testing.T) {
			m, err := session.NewManager(stores[c.store], session.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			h := m.Middleware(mux)
			_, base := post(t, m, h, "/set?k=start", nil)
			_, first := post(t, m, h, "/set?k=a", base)
			_, second := post(t, m, h, "/set?k=b", base)
			if c.store == "cookie" {
				if got := bodyOf(post(t, m, h, "/keys", first)); got != "a start" {
					t.Errorf("the first response's cookie: keys %q, want the whole session with its own change, \"a start\"", got)
				}
			}
			got := bodyOf(post(t, m, h, "/keys", second))
			if got != c.want {
				t.Errorf("the last response's cookie: keys %q, want %q", got, c.want)
			}
		})
	}
}
