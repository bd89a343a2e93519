package serverstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/recordkey"
	"github.com/sessionseal/session/keyrotation"
)

// errUnknownKey is the error of a token signed under a key the ring does
// not hold, or holds disabled.
var errUnknownKey = fmt.Errorf("%w: %w", session.ErrInvalid, keyrotation.ErrUnknownKey)

// Load verifies the reference token, issued for the cookie name, and reads
// the session's record: one point lookup by key. A token that is
// malformed, forged, signed with an unknown key, issued for another cookie
// name, or for a session whose record is gone (destroyed, revoked, expired
// and cleaned up) returns session.ErrInvalid, as does a record that fails
// authentication, which is also logged. An unreachable backend returns
// session.ErrStoreUnavailable. Load does not check the session's
// deadlines: the Manager does, from the payload. A record or token under a
// key that is no longer primary asks to be re-sealed (Record.Reseal).
func (s *Store) Load(ctx context.Context, name, token string, _ time.Time) (*session.Record, error) {
	s.observer.Learn(ctx, s.keys)
	claims, err := s.tokens.Parse(token, name)
	switch {
	case errors.Is(err, keyrotation.ErrUnknownKey):
		return nil, errUnknownKey
	case err != nil:
		return nil, session.ErrInvalid
	}
	doc, err := s.db.get(ctx, recordkey.Session(claims.ID))
	switch {
	case errors.Is(err, ErrNotFound), err == nil && isDevice(doc):
		// A device entry: the session lives in its cookie now, and the
		// token is left from before it moved there.
		return nil, session.ErrInvalid
	case err != nil:
		return nil, err
	}
	plaintext, sealedBy, err := s.open(doc)
	if err != nil {
		s.log.WarnContext(ctx, "serverstore: session record failed authentication", "err", err)
		return nil, session.ErrInvalid
	}
	// The key binds the record to the hash of the token's session ID; the
	// payload must name the same session.
	if h, err := payload.ReadHeader(plaintext); err != nil || h.ID != claims.ID {
		return nil, session.ErrInvalid
	}
	// Either can lag the other: Rewrap re-seals records, and a token is
	// re-signed only on its next save.
	primary, _, err := s.keys.Primary(keyrotation.PurposeRecord)
	if err != nil {
		return nil, fmt.Errorf("serverstore: %w", err)
	}
	return &session.Record{Payload: plaintext, Mode: session.ModeServer, Revision: doc.Version,
		Reseal: claims.KeyID != primary || sealedBy != primary}, nil
}
