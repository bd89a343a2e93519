package main

import (
	"expvar"
	"fmt"
	"net/http"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demo"
	"github.com/sessionseal/session/keyrotation"
)

func main() {
	metrics := new(Metrics)
	expvar.Publish("sessionseal", metrics)
	demo.Serve("metrics", func(keys *keyrotation.Keyring) (http.Handler, error) {
		return newHandler(keys, metrics, time.Now)
	}, "/visit", "/debug/vars")
}

// newHandler returns the server: its pages report to obs, and /debug/vars
// serves the published expvar variables. now is the clock of the Manager and
// the store.
func newHandler(keys *keyrotation.Keyring, obs session.Observer, now func() time.Time) (http.Handler, error) {
	m, err := demo.NewManager(keys, session.Options{Observer: obs, Now: now})
	if err != nil {
		return nil, err
	}
	pages := http.NewServeMux()
	pages.HandleFunc("GET /visit", visit)
	pages.HandleFunc("GET /peek", peek)
	pages.HandleFunc("POST /logout", logout)

	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler()) // no session: reading metrics adds no events
	mux.Handle("/", m.Middleware(pages))
	return mux, nil
}

// visit counts the visits of the session, changing it on every request.
func visit(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	n, _, err := session.Value[int](s, "visits")
	if err != nil {
		http.Error(w, "unreadable session", http.StatusInternalServerError)
		return
	}
	if err := s.Set("visits", n+1); err != nil {
		http.Error(w, "cannot store the visit", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "visits: %d\n", n+1)
}

// peek shows the visits without changing the session.
func peek(w http.ResponseWriter, r *http.Request) {
	n, _, err := session.Value[int](session.From(r.Context()), "visits")
	if err != nil {
		http.Error(w, "unreadable session", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "visits: %d\n", n)
}

func logout(w http.ResponseWriter, r *http.Request) {
	session.From(r.Context()).Destroy()
	w.WriteHeader(http.StatusNoContent)
}
