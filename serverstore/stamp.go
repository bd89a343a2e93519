package serverstore

import (
	"context"
	"errors"
	"time"

	"github.com/sessionseal/session/internal/recordkey"
)

// A user's revocation stamp refuses the user's sessions started before its
// NotBefore, and the sessions ended one by one that it names, each until
// its tokens would have expired. The store itself needs none: deleting a
// record ends its session. Stamps are for package hybrid, whose cookie
// sessions no server can delete. Every write moves a time forward only
// (Backend.RaiseStamp), so that concurrent writes, or one from a server
// whose clock is behind, never undo a revocation.

// maxEnded bounds the sessions a stamp names one by one. A user who ends
// more within their tokens' lifetimes is logged out everywhere instead, so
// that the stamp, read with every session of the user, stays small.
const maxEnded = 100

// forever is the expiry of a stamp whose keep time is unknown.
var forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Stamp returns the user's revocation stamp, the zero Stamp when there is
// none. It is one point lookup by key. When the backend pushes stamp
// changes, the stamp's Changed is closed once it may have changed.
func (s *Store) Stamp(ctx context.Context, userID string) (Stamp, error) {
	key := recordkey.Stamp(userID)
	var changed <-chan struct{}
	if s.signals != nil {
		changed = s.signals.current(key)
	}
	st, err := s.db.getStamp(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return Stamp{Changed: changed}, nil
	case err != nil:
		return Stamp{}, err
	}
	st.Changed = changed
	return *st, nil
}

// SetNotBefore records in the user's stamp that the user's sessions
// started (created, or logged in) before t are revoked, and keeps the stamp
// for keep after t, which must cover the longest session lifetime; zero
// keeps it for good. An earlier t than the stamp's, from a server whose
// clock is behind or a call that lost a race, changes nothing.
func (s *Store) SetNotBefore(ctx context.Context, userID string, t time.Time, keep time.Duration) error {
	until := forever
	if keep > 0 {
		until = t.Add(keep)
	}
	_, err := s.db.raiseStamp(ctx, recordkey.Stamp(userID), &Stamp{NotBefore: t, ExpiresAt: until})
	return err
}

// endSessions records in the user's stamp that the sessions named by
// handles are ended, until their tokens expire at until.
func (s *Store) endSessions(ctx context.Context, userID string, until, now time.Time, handles ...string) error {
	if !until.After(now) {
		return nil
	}
	key := recordkey.Stamp(userID)
	raise := &Stamp{ExpiresAt: until, Ended: make(map[string]time.Time, len(handles))}
	for _, h := range handles {
		raise.Ended[h] = until
	}
	st, err := s.db.raiseStamp(ctx, key, raise)
	if err != nil || len(st.Ended) <= maxEnded {
		return err
	}
	// Too many: forget the entries whose tokens have expired, or, if that
	// is not enough, end every session of the user up to now, which the
	// entries no longer need to name. The store does not know how long
	// those sessions may live, so that stamp is kept for good; it is
	// raised before the entries go, so that no moment refuses less.
	var drop []string
	for h, t := range st.Ended {
		if !t.After(now) {
			drop = append(drop, h)
		}
	}
	if len(st.Ended)-len(drop) > maxEnded {
		nb := now.Truncate(time.Second).Add(time.Second)
		if _, err := s.db.raiseStamp(ctx, key, &Stamp{NotBefore: nb, ExpiresAt: forever}); err != nil {
			return err
		}
		drop = drop[:0]
		for h := range st.Ended {
			drop = append(drop, h)
		}
	}
	return s.db.dropEnded(ctx, key, drop)
}
