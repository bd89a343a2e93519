package otelsession

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
)

// Attribute keys. Their values come from small fixed sets: never a token,
// a value, a session ID or a user ID.
const (
	keySource  = attribute.Key("sessionseal.source")    // cookie, bearer, none; cache, store
	keyResult  = attribute.Key("sessionseal.result")    // see each instrument
	keyMode    = attribute.Key("sessionseal.mode")      // cookie, server
	keyOp      = attribute.Key("sessionseal.operation") // load, save
	keyErrType = attribute.Key("error.type")
)

// Loaded records a load: sessionseal.session.loads, and for a token
// sessionseal.store.duration and a span.
func (o *Observer) Loaded(ctx context.Context, e session.LoadEvent) {
	source, result := e.Source, "found"
	switch {
	case source == "":
		source, result = "none", "none"
	case e.Err != nil:
		result = "error"
	case e.Rejected != "":
		result = e.Rejected
	}
	attrs := []attribute.KeyValue{keySource.String(source), keyResult.String(result)}
	if e.Found {
		attrs = append(attrs, keyMode.String(mode(e.Mode)))
	}
	o.loads.Add(ctx, 1, metric.WithAttributes(attrs...))
	if source != "none" {
		o.storeCall(ctx, "load", e.Latency, e.Err, attrs)
	}
}

// Saved records a save: sessionseal.session.saves, sessionseal.token.size
// for a token issued, sessionseal.session.reseals, and
// sessionseal.store.duration and a span.
func (o *Observer) Saved(ctx context.Context, e session.SaveEvent) {
	result := "saved"
	switch {
	case e.Err != nil:
		result = "error"
	case e.Destroyed:
		result = "destroyed"
	}
	m := keyMode.String(mode(e.Mode))
	attrs := []attribute.KeyValue{m, keyResult.String(result)}
	o.saves.Add(ctx, 1, metric.WithAttributes(attrs...))
	if e.Bytes > 0 {
		o.tokenSize.Record(ctx, float64(e.Bytes), metric.WithAttributes(m))
	}
	if e.Resealed && e.Err == nil {
		o.reseals.Add(ctx, 1, metric.WithAttributes(m))
	}
	o.storeCall(ctx, "save", e.Latency, e.Err, attrs)
}

// storeCall records a store call that took d and ended with err: its
// duration, and a span that ends now, a child of the span in ctx.
func (o *Observer) storeCall(ctx context.Context, op string, d time.Duration, err error, attrs []attribute.KeyValue) {
	attrs = append(attrs, keyOp.String(op))
	dur := []attribute.KeyValue{keyOp.String(op)}
	if err != nil {
		dur = append(dur, keyErrType.String(errorType(err)))
	}
	o.storeDuration.Record(ctx, d.Seconds(), metric.WithAttributes(dur...))
	end := time.Now()
	_, span := o.tracer.Start(ctx, "sessionseal.store."+op, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithTimestamp(end.Add(-d)), trace.WithAttributes(attrs...))
	if err != nil {
		// The type, not the message: an error's text is not ours to
		// vouch for.
		span.SetStatus(codes.Error, errorType(err))
		span.SetAttributes(keyErrType.String(errorType(err)))
	}
	span.End(trace.WithTimestamp(end))
}

// errorType names err by the session sentinel it matches.
func errorType(err error) string {
	switch {
	case errors.Is(err, session.ErrStoreUnavailable):
		return "store_unavailable"
	case errors.Is(err, session.ErrConflict):
		return "conflict"
	case errors.Is(err, session.ErrTooLarge):
		return "too_large"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "_OTHER"
}

func mode(m session.Mode) string {
	if m == session.ModeServer {
		return "server"
	}
	return "cookie"
}

// RevocationChecked records sessionseal.revocation.checks.
func (o *Observer) RevocationChecked(ctx context.Context, source, outcome string) {
	o.revocations.Add(ctx, 1, metric.WithAttributes(keySource.String(source), keyResult.String(outcome)))
}

// SaveConflicted records sessionseal.store.merges when merged, otherwise
// sessionseal.store.conflicts.
func (o *Observer) SaveConflicted(ctx context.Context, merged bool) {
	if merged {
		o.merges.Add(ctx, 1)
		return
	}
	o.conflict.Add(ctx, 1)
}

// ExpiredDeleted records sessionseal.store.cleanups and
// sessionseal.store.cleanup.deleted.
func (o *Observer) ExpiredDeleted(ctx context.Context, n int64, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	o.cleanups.Add(ctx, 1, metric.WithAttributes(keyResult.String(result)))
	o.cleaned.Add(ctx, n)
}

// KeyringReloaded records sessionseal.keyring.reloads: result
// "new_primary", "same_primary" or "error".
func (o *Observer) KeyringReloaded(ctx context.Context, newPrimary bool, err error) {
	result := "same_primary"
	switch {
	case err != nil:
		result = "error"
	case newPrimary:
		result = "new_primary"
	}
	o.reloads.Add(ctx, 1, metric.WithAttributes(keyResult.String(result)))
}

// KeyringObserved adds k to the rings whose seals per key
// sessionseal.key.seals reports.
func (o *Observer) KeyringObserved(k *keyrotation.Keyring) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rings {
		if r == k {
			return
		}
	}
	o.rings = append(o.rings, k)
}
