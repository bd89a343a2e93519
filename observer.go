package session

import (
	"context"
	"time"
)

// Observer receives per-request events from a Manager, so that metrics and
// traces (Prometheus, OpenTelemetry, ...) can be fed without this module
// depending on them. Methods are called on the request's goroutine and
// must be quick and safe for concurrent use. Events never carry tokens or
// values.
type Observer interface {
	// Loaded is called after each Store.Load, and once for a request that
	// carried no token.
	Loaded(ctx context.Context, e LoadEvent)
	// Saved is called after a session was saved, destroyed, or failed to
	// be; not for a session that needed no write.
	Saved(ctx context.Context, e SaveEvent)
}

// LoadEvent describes the loading of a token.
type LoadEvent struct {
	Source   string        // "cookie", "bearer", or "" for a request without a token
	Found    bool          // the token gave a session
	Mode     Mode          // where the session lives, when Found
	Rejected string        // "invalid", "expired" or "unknown_key" when the token was refused
	Err      error         // a store error that failed the request
	Latency  time.Duration // time spent in Store.Load
}

// SaveEvent describes the saving of a session.
type SaveEvent struct {
	Destroyed bool          // the session was destroyed rather than saved
	Mode      Mode          // where the session lives after the save
	Bytes     int           // length of the token issued
	Resealed  bool          // saved only to re-seal it (newer key) or refresh its deadline
	Err       error         // why the save failed
	Latency   time.Duration // time spent in the store
}
