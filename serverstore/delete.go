package serverstore

import (
	"context"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/recordkey"
)

// recordID returns the ID under which a record of rec can exist: its
// PreviousID when set, since an ID that Renew or Destroy gave it has not
// been saved yet (a save clears PreviousID), and its ID otherwise.
func recordID(rec *session.Record) string {
	if rec.PreviousID != "" {
		return rec.PreviousID
	}
	return rec.ID
}

// Delete removes the session's record: under its previous ID after Renew
// or Destroy, where the record is. A session that Destroy ended while it
// had a user (Record.EndedUser) is also recorded as ended in the user's
// revocation stamp until its deadline, so that the tokens it had before it
// moved here, or copies of its cookie, are refused as well (see package
// hybrid).
func (s *Store) Delete(ctx context.Context, rec *session.Record, now time.Time) error {
	if _, err := s.db.delete(ctx, recordkey.Session(recordID(rec)), 0); err != nil {
		return err
	}
	// Only the session Destroy ended: one that a change after Destroy
	// started under a new ID lives on.
	if rec.EndedUser != "" && rec.PreviousID != "" {
		return s.endSessions(ctx, rec.EndedUser, rec.Deadline, now, recordkey.Handle(rec.PreviousID))
	}
	return nil
}
