package serverstore

import (
	"context"

	"github.com/sessionseal/session/internal/observe"
)

// conflicted reports to the request's Observer a save that found a
// concurrent save of its session: merged, or given up.
func conflicted(ctx context.Context, merged bool) {
	if b := observe.From(ctx); b != nil {
		if o, ok := b.O.(observe.SaveConflicter); ok {
			o.SaveConflicted(ctx, merged)
		}
	}
}

// cleaned reports a cleanup of expired records to the Observer the store
// learned from the Manager's calls: cleanup is background work, with no
// request to carry one.
func (s *Store) cleaned(ctx context.Context, n int64, err error) {
	if b := s.observer.Get(); b != nil {
		if o, ok := b.O.(observe.ExpiredDeleter); ok {
			o.ExpiredDeleted(ctx, n, err)
		}
	}
}
