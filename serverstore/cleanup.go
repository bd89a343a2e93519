package serverstore

import (
	"context"
	"time"
)

// cleanup deletes expired records every interval until ctx ends. It is
// background work, not a request's, so it reads the system clock.
func (s *Store) cleanup(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if _, err := s.DeleteExpired(ctx, now); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "serverstore: deleting expired sessions", "err", err)
			}
		}
	}
}

// DeleteExpired deletes the records, and the revocation stamps, that
// expired by now, and returns how many. The cleanup loop calls it when the
// backend does not expire records itself; call it yourself to clean up on
// a schedule of your own. Each call is reported to the Observer of the
// Manager that uses the store (session.Options.Observer).
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	n, err := s.db.deleteExpired(ctx, now)
	s.cleaned(ctx, n, err)
	return n, err
}
