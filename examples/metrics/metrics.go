package main

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sessionseal/session"
)

// Metrics is a session.Observer that counts the Manager's events. It is an
// expvar.Var: publish it with expvar.Publish to see it in /debug/vars. The
// zero value is ready to use.
//
// Prometheus or OpenTelemetry take the same values in the same two methods;
// only the instruments change. With Prometheus:
//
//	loads := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "session_loads_total"},
//		[]string{"source", "outcome", "reason"})
//	storeSeconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "session_store_seconds"},
//		[]string{"op"})
//
//	func (p *promObserver) Loaded(ctx context.Context, e session.LoadEvent) {
//		loads.WithLabelValues(e.Source, outcome(e), e.Rejected).Inc()
//		if e.Source != "" {
//			storeSeconds.WithLabelValues("load").Observe(e.Latency.Seconds())
//		}
//	}
//
// With OpenTelemetry, a metric.Int64Counter and a metric.Float64Histogram
// from the meter take the same labels as attributes, and ctx, the request's
// context, carries its span, so the event can also annotate the trace:
//
//	p.loads.Add(ctx, 1, metric.WithAttributes(
//		attribute.String("session.source", e.Source),
//		attribute.String("session.outcome", outcome(e)),
//		attribute.String("session.reason", e.Rejected)))
//	trace.SpanFromContext(ctx).AddEvent("session.loaded", trace.WithAttributes(
//		attribute.Bool("session.found", e.Found)))
//
// Keep labels to these small fixed sets: never a session ID, user or token,
// which would leak secrets and grow without bound.
type Metrics struct {
	loads    expvar.Map   // by loadKey
	saves    expvar.Map   // by saveKey
	resealed atomic.Int64 // saves of an unchanged session: new key or refreshed deadline
	bytes    histogram    // length of issued tokens
	loadTime latency      // time in Store.Load
	saveTime latency      // time in Store.Save and Store.Delete
}

var (
	_ session.Observer = (*Metrics)(nil)
	_ expvar.Var       = (*Metrics)(nil)
)

// Loaded counts a token loaded, or a request that carried none.
func (m *Metrics) Loaded(_ context.Context, e session.LoadEvent) {
	m.loads.Add(loadKey(e), 1)
	if e.Source != "" { // no token, no store call
		m.loadTime.observe(e.Latency)
	}
}

// Saved counts a session saved, destroyed, or that failed to be.
func (m *Metrics) Saved(_ context.Context, e session.SaveEvent) {
	m.saves.Add(saveKey(e), 1)
	m.saveTime.observe(e.Latency)
	if e.Err == nil && !e.Destroyed {
		m.bytes.observe(e.Bytes)
		if e.Resealed {
			m.resealed.Add(1)
		}
	}
}

// loadKey names the outcome of a load: "none" for a request without a
// token, otherwise the source and "found", "rejected/<reason>" or "error".
func loadKey(e session.LoadEvent) string {
	switch {
	case e.Source == "":
		return "none"
	case e.Found:
		return e.Source + "/found"
	case e.Rejected != "":
		return e.Source + "/rejected/" + e.Rejected
	default:
		return e.Source + "/error"
	}
}

// saveKey names the outcome of a save: "failed", "destroyed", or the mode
// the session lives in and "saved".
func saveKey(e session.SaveEvent) string {
	switch {
	case e.Err != nil:
		return "failed" // the error itself goes to Options.Logger
	case e.Destroyed:
		return "destroyed"
	default:
		return e.Mode.String() + "/saved"
	}
}

// String returns the counters as a JSON object, for expvar.
func (m *Metrics) String() string {
	b, err := json.Marshal(struct {
		Loads      json.RawMessage  `json:"loads"`
		Saves      json.RawMessage  `json:"saves"`
		Resealed   int64            `json:"saves_resealed"`
		TokenBytes map[string]int64 `json:"token_bytes"`
		StoreLoad  map[string]int64 `json:"store_load"`
		StoreSave  map[string]int64 `json:"store_save"`
	}{
		Loads:      json.RawMessage(m.loads.String()),
		Saves:      json.RawMessage(m.saves.String()),
		Resealed:   m.resealed.Load(),
		TokenBytes: m.bytes.snapshot(),
		StoreLoad:  m.loadTime.snapshot(),
		StoreSave:  m.saveTime.snapshot(),
	})
	if err != nil {
		// Only integers and expvar's own JSON go in, so this does not
		// happen; /debug/vars would still get valid JSON.
		msg, _ := json.Marshal(err.Error())
		return `{"error":` + string(msg) + `}`
	}
	return string(b)
}

// tokenBuckets are the upper bounds of the token length histogram. A cookie
// token never exceeds the cookie limit: the Manager refuses to issue it.
var tokenBuckets = [...]int{256, 512, 1024, 2048, 3072, session.MaxCookieSize}

// histogram counts observations in cumulative buckets, as Prometheus does:
// le[i] counts those at most tokenBuckets[i].
type histogram struct {
	le         [len(tokenBuckets)]atomic.Int64
	count, sum atomic.Int64
}

func (h *histogram) observe(v int) {
	for i, bound := range tokenBuckets {
		if v <= bound {
			h.le[i].Add(1)
		}
	}
	h.count.Add(1)
	h.sum.Add(int64(v))
}

func (h *histogram) snapshot() map[string]int64 {
	s := map[string]int64{"count": h.count.Load(), "sum": h.sum.Load()}
	for i, bound := range tokenBuckets {
		s[fmt.Sprintf("le_%d", bound)] = h.le[i].Load()
	}
	return s
}

// latency keeps a count and a sum, from which a dashboard draws the mean.
type latency struct {
	count, sumNanos atomic.Int64
}

func (l *latency) observe(d time.Duration) {
	l.count.Add(1)
	l.sumNanos.Add(int64(d))
}

func (l *latency) snapshot() map[string]int64 {
	return map[string]int64{"count": l.count.Load(), "sum_ns": l.sumNanos.Load()}
}
