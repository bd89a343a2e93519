package serverstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/recordkey"
)

// A device entry stands for a logged-in session that lives in its cookie
// (package hybrid), so that listings of the user's sessions (Sessions)
// show it and RevokeHandle and RevokeUser reach it as they reach a record.
// It is a Document under the session's record key, with the session's
// user, client and times, and no payload: its data is an empty plaintext
// sealed with the reference flag (the session itself is elsewhere), which
// the header authenticates, so that an entry never opens as a session and
// a reference token of the session, left from before it moved to its
// cookie, is refused. It is written when the session's user, ID or
// deadline changes (a login, a renewal, Session.SetLifetime), never on an
// ordinary request, and expires with the session's absolute deadline,
// which only those move.

// isDevice reports whether doc is a device entry rather than a session's
// record: whether its data is sealed with the reference flag.
func isDevice(doc *Document) bool {
	return len(doc.Data) > 1 && doc.Data[1] == format.FlagReference
}

// CookieSaved is called by a store that has just sealed rec into its cookie
// (package hybrid) to bring the server side in line. A session that had a
// record here (a non-zero revision) moves to its cookie: its record is
// deleted, but only if no other request has saved it since rec was loaded
// or last saved; if one has, CookieSaved merges that save into rec, as Save
// does, and returns false, so that the caller can decide again where to
// save the merged session; if the record is gone, ended by another request,
// the error matches session.ErrConflict. A logged-in session that moves to
// its cookie, logs in or is renewed gets a device entry until its deadline,
// so that listings show it and RevokeHandle ends it; one that logs out
// loses it; one whose lifetime changes gets its new deadline, unless it
// was ended meanwhile (session.ErrConflict). Any other save, the ordinary
// request, costs no backend call.
func (s *Store) CookieSaved(ctx context.Context, rec *session.Record, now time.Time) (bool, error) {
	moved := rec.Revision != 0
	if moved {
		// Version 0 would make the delete unconditional.
		key := recordkey.Session(recordID(rec))
		deleted, err := s.db.delete(ctx, key, rec.Revision)
		if err != nil {
			return false, err
		}
		if !deleted {
			return false, s.rebase(ctx, key, rec)
		}
		rec.Revision = 0
	}
	renewed := rec.PreviousID != "" && !moved
	if renewed {
		if err := s.retireDevice(ctx, rec); err != nil {
			return false, err
		}
	}
	switch {
	case rec.User != "" && (moved || renewed || rec.Changes.User):
		return true, s.putDevice(ctx, rec, now)
	case rec.User != "" && rec.Changes.Lifetime:
		// SetLifetime moved the session's deadline: the entry follows,
		// so that RevokeHandle ends the session until then, not until
		// the old deadline, past which its cookie would work again.
		if err := s.checkDevice(ctx, rec); err != nil {
			return false, err
		}
		return true, s.putDevice(ctx, rec, now)
	case rec.User == "" && rec.Changes.User && !renewed && !moved:
		_, err := s.dropDevice(ctx, recordkey.Session(rec.ID))
		return true, err
	}
	return true, nil
}

// retireDevice deletes the device entry under the previous ID of rec, a
// session in its cookie that Renew gave a new ID. A logged-in session whose
// user did not change had one, unless it was ended meanwhile (RevokeHandle,
// or Destroy of a copy of its cookie) and this request's server has not
// read the user's new stamp yet: the stamp then names it, and the renewal,
// which would give the ended session an ID that no stamp names, fails with
// session.ErrConflict, as the renewal of an ended record does.
func (s *Store) retireDevice(ctx context.Context, rec *session.Record) error {
	if rec.User == "" && !rec.Changes.User {
		return nil
	}
	found, err := s.dropDevice(ctx, recordkey.Session(rec.PreviousID))
	if err != nil || found || rec.User == "" || rec.Changes.User {
		return err
	}
	return s.notEnded(ctx, rec.User, rec.PreviousID)
}

// checkDevice checks that rec, a logged-in session in its cookie whose
// deadline moved, was not ended meanwhile: that it has a device entry, or
// that the user's stamp does not name it, as for a renewal (retireDevice).
// Else a server whose cached stamp predates the end would write the ended
// session a new entry and a later deadline than the stamp's.
func (s *Store) checkDevice(ctx context.Context, rec *session.Record) error {
	if _, err := s.db.get(ctx, recordkey.Session(rec.ID)); !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.notEnded(ctx, rec.User, rec.ID)
}

// notEnded returns errEnded when the user's stamp names the session with
// the given ID as ended.
func (s *Store) notEnded(ctx context.Context, userID, id string) error {
	st, err := s.db.getStamp(ctx, recordkey.Stamp(userID))
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	if _, ended := st.Ended[recordkey.Handle(id)]; ended {
		return errEnded
	}
	return nil
}

// putDevice writes the device entry of rec, replacing an older one under
// its key. A record under the key, which a concurrent request that moved
// the session to the server saved, is left alone: listings show it.
func (s *Store) putDevice(ctx context.Context, rec *session.Record, now time.Time) error {
	key := recordkey.Session(rec.ID)
	data, err := s.sealAs(key, nil, format.FlagReference)
	if err != nil {
		return err
	}
	doc := &Document{Key: key, Data: data, User: recordkey.User(rec.User), Version: firstVersion(),
		Created: rec.Started, ExpiresAt: rec.Deadline, Updated: now}
	doc.UserAgent, doc.IP = rec.Client()
	for range s.attempts {
		err := s.db.insert(ctx, doc)
		if !errors.Is(err, ErrExists) {
			return err
		}
		found, err := s.db.get(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return err
		case !isDevice(found):
			return nil
		}
		if _, err := s.db.delete(ctx, key, found.Version); err != nil {
			return err
		}
	}
	return fmt.Errorf("serverstore: %d attempts to replace a device entry: %w", s.attempts, session.ErrConflict)
}

// dropDevice deletes the device entry under key, if there is one, and
// reports whether there was; a record there, which a concurrent request
// saved, is left alone.
func (s *Store) dropDevice(ctx context.Context, key []byte) (bool, error) {
	found, err := s.db.get(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case !isDevice(found):
		return false, nil
	}
	_, err = s.db.delete(ctx, key, found.Version)
	return true, err
}
