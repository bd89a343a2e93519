package testkit

import (
	"context"
	"sync"

	"github.com/sessionseal/session"
)

// Observer is a session.Observer that keeps the events it receives, safe
// for concurrent use.
type Observer struct {
	mu    sync.Mutex
	loads []session.LoadEvent
	saves []session.SaveEvent
}

var _ session.Observer = (*Observer)(nil)

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
