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
//
// The Manager also passes its Observer to its store, in the context of
// each store call, and the store to its key ring: Options.Observer is the
// only place to set it. They report what only they see to any of these
// methods the Observer has (package otelsession implements them all):
//
//	// Package hybrid checked a session's user against the revocation
//	// stamp. source: "cache" or "store"; outcome: "valid", "revoked",
//	// "failed_open" or "failed_closed" (see hybrid.Options.FailOpen).
//	RevocationChecked(ctx context.Context, source, outcome string)
//
//	// A server store's save found a concurrent save of the session:
//	// merged when it re-applied its changes and writes again, false
//	// when it gave up with ErrConflict.
//	SaveConflicted(ctx context.Context, merged bool)
//
//	// A server store deleted n expired records, or failed to (err).
//	ExpiredDeleted(ctx context.Context, n int64, err error)
//
//	// A key ring that follows a file (keyrotation.WatchFile) took new
//	// keys, with a new primary key when newPrimary, or kept its keys
//	// because the file failed to read or parse (err).
//	KeyringReloaded(ctx context.Context, newPrimary bool, err error)
//
//	// Called with each key ring the stores use when it starts reporting
//	// to this Observer; its Keys report the seals per key against the
//	// AES-GCM nonce bound.
//	KeyringObserved(k *keyrotation.Keyring)
//
// The store learns the Observer from the Manager's first call, and its
// background work (cleanup) and its key ring's reloads report to the
// Observer of the latest Manager that called it.
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
