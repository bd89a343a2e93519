// Package observe carries a Manager's Observer to the stores and the key
// ring under it, which report the events that only they see: revocation
// checks, merges of concurrent saves, cleanup of expired records, key ring
// reloads. The Manager's Options are the one place an Observer is set: the
// Manager puts it in the context of every store call, as it passes its
// cookie name and clock in their arguments, and a store remembers the
// latest one for its background work and hands it to its key ring.
//
// Each event is an optional method of the Observer, asserted where the
// event happens, so that an Observer with only Loaded and Saved keeps
// working. The interfaces below name them for the packages that report
// and the ones that implement them. It imports only the standard library.
package observe

import (
	"context"
	"sync/atomic"
)

// Box holds one Observer. The Manager makes one and passes the pointer, so
// that stores compare observers by the pointer's identity: an Observer's
// own type need not be comparable.
type Box struct{ O any }

type contextKey struct{}

// With returns ctx carrying b, for the store calls of one request.
func With(ctx context.Context, b *Box) context.Context {
	return context.WithValue(ctx, contextKey{}, b)
}

// From returns the Box in ctx, or nil.
func From(ctx context.Context) *Box {
	b, _ := ctx.Value(contextKey{}).(*Box)
	return b
}

// Latest remembers the Box of the latest call that carried one, for
// background work that has no request to carry it. Its zero value holds
// none. It is safe for concurrent use.
type Latest struct{ p atomic.Pointer[Box] }

// Learn remembers the Box in ctx, if any, hands a new one to ring (a
// *keyrotation.Keyring) and returns it.
func (l *Latest) Learn(ctx context.Context, ring any) *Box {
	b := From(ctx)
	if b == nil || l.p.Load() == b {
		return b
	}
	if l.p.Swap(b) != b && AttachRing != nil {
		AttachRing(ring, b)
	}
	return b
}

// Get returns the Box remembered, or nil.
func (l *Latest) Get() *Box { return l.p.Load() }

// AttachRing, set by package keyrotation, has ring, a *keyrotation.Keyring,
// report its reloads to b. Stores call it when they learn a new Box.
var AttachRing func(ring any, b *Box)

// RevocationChecker receives the revocation checks of package hybrid.
// Source is "cache" or "store"; outcome is "valid", "revoked",
// "failed_open" or "failed_closed".
type RevocationChecker interface {
	RevocationChecked(ctx context.Context, source, outcome string)
}

// SaveConflicter receives the saves of a server store that found a
// concurrent save of the same session: merged when the save re-applied its
// changes onto the other one's (and writes again), otherwise it gave up
// with session.ErrConflict.
type SaveConflicter interface {
	SaveConflicted(ctx context.Context, merged bool)
}

// ExpiredDeleter receives each cleanup of expired records of a server
// store: how many it deleted, and its error.
type ExpiredDeleter interface {
	ExpiredDeleted(ctx context.Context, n int64, err error)
}

// KeyringReloader receives the reloads of a key ring that follows a file
// (keyrotation.WatchFile): newPrimary when the new keys have another
// primary key, and err when the file failed to read or parse and the keys
// stayed as they were.
type KeyringReloader interface {
	KeyringReloaded(ctx context.Context, newPrimary bool, err error)
}
