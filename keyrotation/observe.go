package keyrotation

import (
	"context"

	"github.com/sessionseal/session/internal/observe"
)

// The stores hand a ring the Observer of the Manager that uses them
// (session.Options.Observer), so that the ring needs no option of its own.
func init() {
	observe.AttachRing = func(ring any, b *observe.Box) {
		if k, ok := ring.(*Keyring); ok && k != nil {
			k.attach(b)
		}
	}
}

// attach makes b the Observer that hears of the ring's reloads. An Observer
// with a KeyringObserved(*Keyring) method gets the ring once, to read
// Keys for the seals per key against the nonce bound.
func (k *Keyring) attach(b *observe.Box) {
	if k.observer.Swap(b) == b {
		return
	}
	if o, ok := b.O.(interface{ KeyringObserved(*Keyring) }); ok {
		o.KeyringObserved(k)
	}
}

// reloaded reports a reload, or a failed one, to the ring's Observer.
func (k *Keyring) reloaded(ctx context.Context, newPrimary bool, err error) {
	if b := k.observer.Load(); b != nil {
		if o, ok := b.O.(observe.KeyringReloader); ok {
			o.KeyringReloaded(ctx, newPrimary, err)
		}
	}
}
