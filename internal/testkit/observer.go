package testkit

import (
	"context"
	"fmt"
	"sync"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/observe"
	"github.com/sessionseal/session/keyrotation"
)

// Observer is a session.Observer that keeps the events it receives, safe
// for concurrent use. It has every optional method of session.Observer and
// keeps their events as text, such as "revocation store valid".
type Observer struct {
	mu     sync.Mutex
	loads  []session.LoadEvent
	saves  []session.SaveEvent
	others []string
	rings  []*keyrotation.Keyring
}

var (
	_ session.Observer          = (*Observer)(nil)
	_ observe.RevocationChecker = (*Observer)(nil)
	_ observe.SaveConflicter    = (*Observer)(nil)
	_ observe.ExpiredDeleter    = (*Observer)(nil)
	_ observe.KeyringReloader   = (*Observer)(nil)
)

// Loaded keeps e.
func (o *Observer) Loaded(_ context.Context, e session.LoadEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.loads = append(o.loads, e)
}

// Saved keeps e.
func (o *Observer) Saved(_ context.Context, e session.SaveEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.saves = append(o.saves, e)
}

// Take returns the events kept since the last call and forgets them.
func (o *Observer) Take() ([]session.LoadEvent, []session.SaveEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	l, s := o.loads, o.saves
	o.loads, o.saves = nil, nil
	return l, s
}

// RevocationChecked keeps "revocation source outcome".
func (o *Observer) RevocationChecked(_ context.Context, source, outcome string) {
	o.other("revocation " + source + " " + outcome)
}

// SaveConflicted keeps "conflict merged" or "conflict gave up".
func (o *Observer) SaveConflicted(_ context.Context, merged bool) {
	if merged {
		o.other("conflict merged")
	} else {
		o.other("conflict gave up")
	}
}

// ExpiredDeleted keeps "cleanup n err".
func (o *Observer) ExpiredDeleted(_ context.Context, n int64, err error) {
	o.other(fmt.Sprintf("cleanup %d %v", n, err))
}

// KeyringReloaded keeps "reload new primary BOOL, failed BOOL".
func (o *Observer) KeyringReloaded(_ context.Context, newPrimary bool, err error) {
	o.other(fmt.Sprintf("reload new primary %t, failed %t", newPrimary, err != nil))
}

// KeyringObserved keeps k.
func (o *Observer) KeyringObserved(k *keyrotation.Keyring) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rings = append(o.rings, k)
}

func (o *Observer) other(e string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.others = append(o.others, e)
}

// TakeOthers returns the events of the optional methods kept since the
// last call, and the rings KeyringObserved received, and forgets them.
func (o *Observer) TakeOthers() ([]string, []*keyrotation.Keyring) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, r := o.others, o.rings
	o.others, o.rings = nil, nil
	return e, r
}
