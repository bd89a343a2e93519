package serverstore

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/recordkey"
)

// Save writes the session's record and returns a fresh reference token for
// the cookie name: an insert for a new or renewed session, otherwise an
// update conditioned on the version it was loaded at. When another request
// saved the session first, Save re-reads the record, re-applies only what
// this request changed (Record.Changes), and tries again, up to
// Options.MaxAttempts times; rec then holds the merged session
// (Record.Merged). After Renew it deletes the record under the previous ID.
// A session that another request ended meanwhile (Destroy, a revocation)
// is not brought back: the error matches session.ErrConflict.
func (s *Store) Save(ctx context.Context, name string, rec *session.Record, now time.Time) (token string, err error) {
	s.observer.Learn(ctx, s.keys)
	defer func() {
		if errors.Is(err, session.ErrConflict) {
			conflicted(ctx, false)
		}
	}()
	key := recordkey.Session(rec.ID)
	if rev := rec.Revision; rev == 0 || rec.PreviousID != "" {
		inserted, err := s.insert(ctx, rec, key, now)
		if err != nil {
			return "", err
		}
		if inserted {
			switch {
			case rec.PreviousID != "" && rev != 0:
				if err := s.retire(ctx, rec, recordkey.Session(rec.PreviousID), rev, key, now); err != nil {
					return "", err
				}
			case rec.PreviousID != "":
				// Renewed on its way from its cookie (package hybrid).
				err = s.retireDevice(ctx, rec)
			case rev == 0 && rec.User != "" && rec.Changes.Lifetime && !rec.Changes.User:
				// From its cookie with a deadline that SetLifetime
				// moved: a session ended meanwhile must not outlive the
				// time the user's stamp names it until.
				err = s.notEnded(ctx, rec.User, rec.ID)
			}
			if err != nil {
				// No token names the new record yet; if this delete
				// fails, it only waits for its expiry.
				_, _ = s.db.delete(context.WithoutCancel(ctx), key, 0)
				return "", err
			}
			return s.issue(name, rec)
		}
		// Merged into a concurrent request's record: update it below.
	}
	for attempt := 1; ; attempt++ {
		rev := rec.Revision
		matched, err := s.update(ctx, key, rec, rev, now)
		if err != nil {
			return "", err
		}
		if matched {
			rec.Revision = rev + 1
			return s.issue(name, rec)
		}
		if attempt >= s.attempts {
			return "", fmt.Errorf("serverstore: %d attempts: %w", attempt, session.ErrConflict)
		}
		if err := s.rebase(ctx, key, rec); err != nil {
			return "", err
		}
		if err := backoff(ctx, attempt); err != nil {
			return "", fmt.Errorf("serverstore: %w: %v", session.ErrConflict, err)
		}
	}
}

// issue records that rec, just saved, lives on the server, and signs a
// reference to it that expires with its idle deadline.
func (s *Store) issue(name string, rec *session.Record) (string, error) {
	rec.Mode = session.ModeServer
	token, err := s.tokens.Sign(name, rec.ID, rec.Idle)
	if err != nil {
		return "", fmt.Errorf("serverstore: %w", err)
	}
	return token, nil
}

// insert writes rec as a new record under key and reports whether it did.
// A record can already be there only for a session moving from its cookie,
// which keeps its ID; the record's From says which cookie that move started
// from. If it is the cookie rec was loaded from (Record.Base), or a later
// one, another request moved the same session first (two requests that
// both outgrew the cookie): insert merges that record into rec, like any
// concurrent save, and reports false for Save to update it. If it started
// from an earlier cookie, or has expired, it is left over from a move whose
// token the client never kept, and the cookie has moved on since: insert
// deletes it and tries again, giving up with session.ErrConflict after
// Options.MaxAttempts+1 inserts. Both times are the cookies' own issue
// times, in whole seconds, so servers' clocks need not agree, but a record
// left over from a cookie issued in the same second as this one is merged.
func (s *Store) insert(ctx context.Context, rec *session.Record, key []byte, now time.Time) (bool, error) {
	first := firstVersion()
	doc, err := s.document(rec, key, first, now, true)
	if err != nil {
		return false, err
	}
	doc.Created, doc.From = rec.Started, rec.Base
	for range s.attempts + 1 {
		err := s.db.insert(ctx, doc)
		switch {
		case err == nil:
			rec.Revision = first
			return true, nil
		case rec.PreviousID != "" || !errors.Is(err, ErrExists):
			return false, err
		}
		found, err := s.db.get(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // deleted meanwhile
		case err != nil:
			return false, err
		case isDevice(found):
			// The session's device entry from its cookie: replaced by
			// the record, which listings show in its place.
			if _, err := s.db.delete(ctx, key, found.Version); err != nil {
				return false, err
			}
			continue
		}
		from := found.From
		if from.IsZero() {
			// Written without it (by an older release, or for a new
			// session): its last write is the best guess, on its
			// server's clock.
			from = found.Updated
		}
		if found.ExpiresAt.After(now) && !from.Before(doc.From) {
			return false, s.merge(ctx, rec, found)
		}
		if _, err := s.db.delete(ctx, key, found.Version); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("serverstore: %d inserts after replacing stale records: %w", s.attempts+1, session.ErrConflict)
}

// update writes rec into the record under key at version rev+1, if the
// record is at version rev, and reports whether it was.
// Its save time is rounded down to expiryStep, like its expiry, so that
// neither moves on most saves.
func (s *Store) update(ctx context.Context, key []byte, rec *session.Record, rev int64, now time.Time) (bool, error) {
	doc, err := s.document(rec, key, rev+1, now.Truncate(expiryStep(rec)), rec.Changes.User)
	if err != nil {
		return false, err
	}
	return s.db.update(ctx, doc, rev)
}

// firstVersion returns the version of a new record: random, so that a
// record deleted and made again under the same key (a session that moved
// to the cookie and back) never takes a version that a request still
// holding the old record could match.
func firstVersion() int64 { return 1 + mrand.Int64N(1<<62) }

// retire deletes the record under prevKey, at version rev, of a session
// renewed and saved under key at rec's revision. It deletes the old record
// only if no other request saved it since rec was loaded; if one did, it
// merges that save into rec and the new record, and tries again. If the
// old record is gone, a concurrent request ended the session (Destroy, a
// revocation): the new record is deleted too, so that the renewal cannot
// bring the session back, and the error matches session.ErrConflict.
func (s *Store) retire(ctx context.Context, rec *session.Record, prevKey []byte, rev int64, key []byte, now time.Time) (err error) {
	version := rec.Revision
	defer func() {
		rec.Revision = version
		if err != nil {
			// No token names the new record yet. The request's context
			// may be what failed; if this delete fails too, the record
			// only waits for its expiry.
			_, _ = s.db.delete(context.WithoutCancel(ctx), key, 0)
		}
	}()
	for attempt := 1; ; attempt++ {
		deleted, err := s.db.delete(ctx, prevKey, rev)
		if err != nil {
			return err
		}
		if deleted {
			return nil
		}
		if attempt >= s.attempts {
			return fmt.Errorf("serverstore: %d attempts: %w", attempt, session.ErrConflict)
		}
		if err := s.rebase(ctx, prevKey, rec); err != nil {
			return err
		}
		rev = rec.Revision
		// No token names the new record yet, but a revocation may have
		// deleted it.
		matched, err := s.update(ctx, key, rec, version, now)
		if err != nil {
			return err
		}
		if !matched {
			return errEnded
		}
		version++
	}
}

// errEnded is the error of a save that finds its session ended by another
// request.
var errEnded = fmt.Errorf("serverstore: %w: the session was ended by a concurrent request", session.ErrConflict)

// rebase re-reads the record under key, which another request saved, and
// merges it into rec. A record that is gone was destroyed, renewed or
// revoked by that request: rec's changes cannot be saved, and the error is
// errEnded rather than creating the record again, which would undo a
// revocation.
func (s *Store) rebase(ctx context.Context, key []byte, rec *session.Record) error {
	doc, err := s.db.get(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound), err == nil && isDevice(doc):
		// A device entry: another request moved the session to its
		// cookie, which holds what it saved.
		return errEnded
	case err != nil:
		return err
	}
	return s.merge(ctx, rec, doc)
}

// merge re-applies what rec's request changed (Record.Changes) onto doc, a
// newer record of the same session that another request saved, and leaves
// the result in rec, at doc's version: its payload, marked as merged, and
// the fields that come from the payload.
func (s *Store) merge(ctx context.Context, rec *session.Record, doc *Document) error {
	plaintext, _, err := s.open(doc)
	if err != nil {
		s.log.WarnContext(ctx, "serverstore: session record failed authentication", "err", err)
		return err
	}
	var mine, latest payload.Data
	if err := payload.Parse(&mine, rec.Payload); err != nil {
		return fmt.Errorf("serverstore: the session to save does not decode: %v", err)
	}
	if err := payload.Parse(&latest, plaintext); err != nil {
		return fmt.Errorf("serverstore: %w: a stored session does not decode: %v", session.ErrInvalid, err)
	}
	payload.Merge(&mine, &latest, payload.Changes(rec.Changes))
	rec.Payload = mine.Append(make([]byte, 0, mine.Size()))
	rec.Merged, rec.Revision = true, doc.Version
	rec.User, rec.Revocable = mine.User, mine.Revocable
	rec.Started, rec.Issued = time.Unix(mine.Created, 0), time.Unix(mine.Issued, 0)
	rec.Idle, rec.Deadline = time.Unix(mine.IdleExpires, 0), time.Unix(mine.Expires, 0)
	conflicted(ctx, true)
	return nil
}

// backoff waits a random time that grows with attempt, so that requests
// racing on one session spread out instead of colliding again.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(mrand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
