package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demo"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/otelsession"
)

func main() {
	demo.Serve("metrics", func(keys *keyrotation.Keyring) (http.Handler, error) {
		return newHandler(keys, prometheus.NewRegistry(), time.Now)
	}, "/visit", "/metrics")
}

// newHandler returns the server: its pages report to an otelsession
// Observer, whose meter provider exports to reg, and /metrics serves reg
// in the Prometheus text format. now is the clock of the Manager.
func newHandler(keys *keyrotation.Keyring, reg *prometheus.Registry, now func() time.Time) (http.Handler, error) {
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, err
	}
	obs, err := otelsession.New(otelsession.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))))
	if err != nil {
		return nil, err
	}
	m, err := demo.NewManager(keys, session.Options{Observer: obs, Now: now})
	if err != nil {
		return nil, err
	}
	pages := http.NewServeMux()
	pages.HandleFunc("GET /visit", visit)
	pages.HandleFunc("GET /peek", peek)
	pages.HandleFunc("POST /logout", logout)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) // no session: scraping adds no events
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
