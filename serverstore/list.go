package serverstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/recordkey"
)

// Info describes one live session, for "your active sessions" pages.
type Info struct {
	Handle    string       // names the session without revealing its ID; see Handle and RevokeHandle
	Mode      session.Mode // where the session lives: ModeServer, or ModeCookie for a device entry (see CookieSaved)
	Created   time.Time    // when the session started: its creation or its login
	LastSeen  time.Time    // when it was last saved; in cookie mode, when it logged in or was renewed
	ExpiresAt time.Time    // when it expires unless used again; in cookie mode, its absolute deadline
	UserAgent string       // the User-Agent of the request that logged it in, or first saved it here
	IP        string       // the client address of that request
}

// Sessions lists the user's sessions that have not expired by now, most
// recently used first. It opens each record for its exact times, which
// the record's ExpiresAt and Updated give only to a step; a record that
// does not open is left out and logged.
func (s *Store) Sessions(ctx context.Context, userID string, now time.Time) ([]Info, error) {
	docs, err := s.db.listUser(ctx, recordkey.User(userID))
	if err != nil {
		return nil, err
	}
	infos := make([]Info, 0, len(docs))
	t := now.Unix()
	for i := range docs {
		d := &docs[i]
		if isDevice(d) {
			if info, ok := s.deviceInfo(ctx, d, now); ok {
				infos = append(infos, info)
			}
			continue
		}
		var p payload.Data
		plaintext, _, err := s.open(d)
		if err == nil {
			err = payload.Parse(&p, plaintext)
		}
		if err != nil {
			s.log.WarnContext(ctx, "serverstore: session record failed authentication", "err", err)
			continue
		}
		// The backend may not have deleted them yet.
		if t >= p.IdleExpires || t >= p.Expires {
			continue
		}
		infos = append(infos, Info{Handle: recordkey.EncodeHandle(d.Key), Mode: session.ModeServer, Created: time.Unix(p.Created, 0),
			LastSeen: time.Unix(p.Issued, 0), ExpiresAt: time.Unix(p.IdleExpires, 0), UserAgent: d.UserAgent, IP: d.IP})
	}
	slices.SortFunc(infos, func(a, b Info) int { return cmp.Or(b.LastSeen.Compare(a.LastSeen), cmp.Compare(a.Handle, b.Handle)) })
	return infos, nil
}

// deviceInfo returns the listing of the device entry d, and false for
// one that has expired by now or does not open. No request writes an
// entry after the login or renewal that made it, so its times are those
// of that save: LastSeen is when it logged in or was renewed, ExpiresAt
// its absolute deadline.
func (s *Store) deviceInfo(ctx context.Context, d *Document, now time.Time) (Info, bool) {
	if !d.ExpiresAt.After(now) {
		return Info{}, false
	}
	if _, _, err := s.openAs(d, format.FlagReference); err != nil {
		s.log.WarnContext(ctx, "serverstore: device entry failed authentication", "err", err)
		return Info{}, false
	}
	return Info{Handle: recordkey.EncodeHandle(d.Key), Mode: session.ModeCookie, Created: d.Created,
		LastSeen: d.Updated, ExpiresAt: d.ExpiresAt, UserAgent: d.UserAgent, IP: d.IP}, true
}

// Handle returns the handle that Info reports for the session with the
// given ID, to mark the current session in a listing.
func Handle(sessionID string) string { return recordkey.Handle(sessionID) }

// RevokeHandle ends the session that a listing of userID's sessions named
// by handle: it deletes its record, or its device entry, and records it as
// ended in the user's revocation stamp until the record or entry would have
// expired, so that its cookie tokens are refused too (see package hybrid).
// It deletes nothing of another user's. A malformed handle is an error
// matching session.ErrInvalid.
func (s *Store) RevokeHandle(ctx context.Context, userID, handle string, now time.Time) error {
	key, ok := recordkey.DecodeHandle(handle)
	if !ok {
		return fmt.Errorf("%w: malformed session handle", session.ErrInvalid)
	}
	user := recordkey.User(userID)
	for attempt := 1; ; attempt++ {
		doc, err := s.db.get(ctx, key)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil
		case err != nil:
			return err
		case !bytes.Equal(doc.User, user):
			return nil
		}
		// Conditioned on the version read, so that a concurrent save
		// that gave the record to another user keeps it.
		deleted, err := s.db.delete(ctx, key, doc.Version)
		if err != nil {
			return err
		}
		if deleted {
			// Every token of the session expires by the record's
			// expiry: the cookie tokens from before the move were
			// issued earlier, and their idle deadlines were no later.
			// The handle is written as the key encodes, whatever
			// encoding of it the caller gave.
			return s.endSessions(ctx, userID, doc.ExpiresAt, now, recordkey.EncodeHandle(key))
		}
		if attempt >= s.attempts {
			return fmt.Errorf("serverstore: %d attempts: %w", attempt, session.ErrConflict)
		}
	}
}

// RevokeUser deletes every record of the user, device entries included,
// and returns how many there were: "log out everywhere". Deleting a record ends its session whatever
// its start, so notBefore and keep, which session.Manager.RevokeUser passes
// to every Revoker, are not needed here; package hybrid also records them
// in the user's stamp with SetNotBefore, for its cookie sessions.
func (s *Store) RevokeUser(ctx context.Context, userID string, _ time.Time, _ time.Duration) (int64, error) {
	return s.db.deleteUser(ctx, recordkey.User(userID))
}
