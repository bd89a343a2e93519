package hybrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/recordkey"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

// Defaults used by New for zero Options fields.
const (
	defaultRevocationCacheTTL = time.Minute
	// maxCachedUsers bounds the revocation cache; past it the stamps
	// used longest ago are evicted.
	maxCachedUsers = 100_000
)

// maxMoveAttempts bounds the tries to move a session back to the cookie
// while other requests keep saving its record; past it the session stays
// on the server for this request, where concurrent saves merge.
const maxMoveAttempts = 4

// Options configures a Store. The zero value is the secure choice; each
// field's comment says its default.
type Options struct {
	// RevocationCacheTTL is how long a user's revocation stamp is cached
	// in this process. A revocation made on another server takes up to
	// this long to reach cookie sessions here, unless the server store's
	// backend pushes stamp changes (redisstore does; see
	// serverstore.Backend), which drops the cached stamp at once; the
	// server that makes it applies it at once. Default one minute.
	RevocationCacheTTL time.Duration

	// FailOpen accepts a logged-in cookie session whose revocation stamp
	// cannot be read because the server store is unreachable. Default false
	// (fail closed): such a request fails with session.ErrStoreUnavailable
	// (503) and keeps its cookie. Cookie sessions without a user, and users
	// whose stamp is cached, keep working either way.
	//
	// Fail closed is the default because revocation is the answer to a
	// stolen cookie: an attacker who can make the database unreachable must
	// not thereby undo a "log out everywhere". Set FailOpen only when
	// availability during an outage matters more than that.
	FailOpen bool

	// Logger receives revocation checks that failed open. Default
	// slog.Default().
	Logger *slog.Logger
}

// Store keeps each session in its cookie when it fits and need not be
// revocable, and in the server store otherwise, moving it between the two
// as it changes. It is safe for concurrent use.
type Store struct {
	cookie   *cookiestore.Store
	server   *serverstore.Store
	cacheTTL time.Duration
	failOpen bool
	log      *slog.Logger
	stamps   *stampCache
}

var (
	_ session.Store   = (*Store)(nil)
	_ session.Revoker = (*Store)(nil)
)

// New returns a hybrid store that seals cookie sessions with keys and keeps
// the others in server, which may serve other hybrid stores too.
func New(keys *keyrotation.Keyring, server *serverstore.Store, opts Options) (*Store, error) {
	if server == nil {
		return nil, errors.New("hybrid: nil server store")
	}
	if opts.RevocationCacheTTL < 0 {
		return nil, fmt.Errorf("hybrid: negative RevocationCacheTTL %v", opts.RevocationCacheTTL)
	}
	cookie, err := cookiestore.New(keys)
	if err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	s := &Store{cookie: cookie, server: server, cacheTTL: opts.RevocationCacheTTL,
		failOpen: opts.FailOpen, log: opts.Logger, stamps: newStampCache(maxCachedUsers)}
	if s.cacheTTL == 0 {
		s.cacheTTL = defaultRevocationCacheTTL
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// isReference reports whether token is a server reference (a JWT: three
// dot-separated parts) rather than a sealed cookie (base64url, no dots).
func isReference(token string) bool { return strings.Count(token, ".") == 2 }

// Load opens a cookie token or looks up a reference token, for the cookie
// name. A session of a user, in either mode, is checked against the user's
// revocation stamp: one started (created, or logged in) before the stamp's
// "not before" time is refused, however recently it was saved, and so is
// one that was ended (Destroy, or a listing's revoke) while tokens of it
// may still be live. See Options.FailOpen for what happens when the stamp
// cannot be read.
func (s *Store) Load(ctx context.Context, name, token string, now time.Time) (*session.Record, error) {
	var rec *session.Record
	var err error
	if isReference(token) {
		rec, err = s.server.Load(ctx, name, token, now)
	} else {
		rec, err = s.cookie.Load(ctx, name, token, now)
	}
	if err != nil {
		return nil, err
	}
	h, err := payload.ReadHeader(rec.Payload)
	if err != nil {
		// Authentic, yet no payload: the Manager would refuse it too.
		return nil, fmt.Errorf("%w: %v", session.ErrInvalid, err)
	}
	if h.User == "" {
		return rec, nil
	}
	st, source, err := s.stamp(ctx, h.User, now)
	switch {
	case err != nil && s.failOpen:
		checked(ctx, source, "failed_open")
		s.log.WarnContext(ctx, "hybrid: revocation check failed open", "err", err)
	case err != nil:
		checked(ctx, source, "failed_closed")
		return nil, fmt.Errorf("hybrid: checking revocation: %w", err)
	case revokes(st, &h):
		checked(ctx, source, "revoked")
		return nil, errRevoked
	default:
		checked(ctx, source, "valid")
	}
	return rec, nil
}

var errRevoked = fmt.Errorf("%w: revoked", session.ErrInvalid)

// revokes reports whether st refuses the session of h.
func revokes(st *serverstore.Stamp, h *payload.Header) bool {
	// Its start, not its last issue: a save after the stamp (a request in
	// flight during the revocation, or a server whose cache had no stamp
	// yet) re-issues the token, but keeps the start.
	if time.Unix(h.Created, 0).Before(st.NotBefore) {
		return true
	}
	// An ended session stays ended: the entry goes only once its tokens
	// have expired, which the Manager refuses anyway.
	_, ended := st.Ended[recordkey.Handle(h.ID)]
	return ended
}

// stamp returns the user's stamp, from the cache when read within the
// cache's TTL before now, and where it came from: "cache" or "store".
func (s *Store) stamp(ctx context.Context, user string, now time.Time) (*serverstore.Stamp, string, error) {
	if st, ok := s.stamps.get(user, now.Add(-s.cacheTTL)); ok {
		return st, "cache", nil
	}
	st, err := s.server.Stamp(ctx, user)
	if err != nil {
		return nil, "store", err
	}
	s.stamps.put(user, &st, now)
	return &st, "store", nil
}

// Save puts the session in its cookie when it is not revocable and its
// sealed cookie fits session.MaxCookieSize, deleting any server record it
// had; otherwise it saves it in the server store and returns a reference.
// The mode can change in either direction between requests; rec.Mode
// reports the new one.
func (s *Store) Save(ctx context.Context, name string, rec *session.Record, now time.Time) (string, error) {
	for attempt := 1; !rec.Revocable && attempt <= maxMoveAttempts; attempt++ {
		token, err := s.cookie.Save(ctx, name, rec, now)
		if errors.Is(err, session.ErrTooLarge) {
			break
		}
		if err != nil {
			return "", err
		}
		// Moving to the cookie: the record must go, or a revocation of it
		// would miss the session, but only if no other request saved it
		// meanwhile, or that request's changes would be lost. A logged-in
		// session keeps a device entry, written at a login, a renewal, a
		// new lifetime or a move, so that listings show it: no call on
		// other saves.
		deleted, err := s.server.CookieSaved(ctx, rec, now)
		if err != nil {
			return "", err
		}
		if deleted {
			rec.Mode = session.ModeCookie
			return token, nil
		}
		// rec now holds the other request's changes too: decide again.
	}
	return s.server.Save(ctx, name, rec, now)
}

// Delete removes the session's server record, if it has one. A session
// that Destroy ended while it had a user is recorded as ended in the
// user's stamp, in either mode, so that copies of its cookie and the tokens
// it had before a move are refused on every server. That costs a database
// write at logout, also for a session in its cookie.
func (s *Store) Delete(ctx context.Context, rec *session.Record, now time.Time) error {
	if rec.Mode != session.ModeServer && rec.EndedUser == "" {
		return nil
	}
	if err := s.server.Delete(ctx, rec, now); err != nil {
		return err
	}
	s.stamps.forget(rec.EndedUser)
	return nil
}

// RevokeUser logs the user out everywhere; session.Manager.RevokeUser
// calls it. It stamps the user so that sessions of the user started (created,
// or logged in) before notBefore are refused in either mode, even if a
// request in flight saves one again, keeping the stamp for keep, and
// deletes the user's server sessions. Other servers see the stamp within
// Options.RevocationCacheTTL; this one at once.
//
// It returns the number of sessions deleted: server records, and the
// device entries of logged-in cookie sessions (see RevokeHandle). The stamp
// refuses every cookie session, listed or not.
func (s *Store) RevokeUser(ctx context.Context, userID string, notBefore time.Time, keep time.Duration) (int64, error) {
	if err := s.server.SetNotBefore(ctx, userID, notBefore, keep); err != nil {
		return 0, err
	}
	s.stamps.forget(userID)
	return s.server.RevokeUser(ctx, userID, notBefore, keep)
}

// RevokeHandle ends the user's session that a listing of the server
// store's sessions named by handle (see serverstore.Store.Sessions), in
// either mode: it deletes its record, or the device entry of a session in
// its cookie, and records it in the user's stamp, so that its cookie
// tokens are refused too. This server applies it at once, others within
// Options.RevocationCacheTTL, or at once when the backend pushes stamp
// changes. A handle of another user's session, or of none, ends nothing.
func (s *Store) RevokeHandle(ctx context.Context, userID, handle string, now time.Time) error {
	if err := s.server.RevokeHandle(ctx, userID, handle, now); err != nil {
		return err
	}
	s.stamps.forget(userID)
	return nil
}
