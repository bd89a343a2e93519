package hybrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/recordkey"
	"github.com/sessionseal/session/keyrotation"
)

// Defaults used by New for zero Options fields.
const (
	DefaultRevocationCacheTTL = time.Minute
	// maxCachedUsers bounds the revocation cache; past it the stamps
	// used longest ago are evicted.
	maxCachedUsers = 100_000
)

// Server is what the hybrid store needs of a server store.
// *mongostore.Store implements it.
type Server interface {
	session.Store
	// Configure binds the cookie name into the server's tokens; see
	// session.Configurer.
	session.Configurer
	// RevokeUser deletes every server session of the user.
	RevokeUser(ctx context.Context, userID string) (int64, error)
	// RevokeHandle ends the user's session that a listing named by handle,
	// and records it in the user's stamp (see Stamp.Ended).
	RevokeHandle(ctx context.Context, userID, handle string) error
	// SetNotBefore records that the user's sessions created (or logged
	// in) before t are revoked, keeping the record for keep after t, or
	// for good when keep is zero. It never moves an earlier record back.
	SetNotBefore(ctx context.Context, userID string, t time.Time, keep time.Duration) error
	// Stamp returns the user's revocation stamp: what SetNotBefore
	// recorded, and the sessions of the user ended one by one (by Delete
	// after Destroy, or from a listing) whose tokens have not expired.
	Stamp(ctx context.Context, userID string) (Stamp, error)
	// DeleteIfUnchanged deletes the session's record, leaving sess at
	// revision 0, unless another request saved it since sess was loaded;
	// then it merges that save into sess and returns false.
	DeleteIfUnchanged(ctx context.Context, sess *session.Session) (bool, error)
}

// Stamp is a user's revocation record, read with every load of a session
// of the user (and cached; see Options.RevocationCacheTTL).
type Stamp struct {
	// NotBefore revokes the user's sessions created, or logged in, before
	// it (RevokeUser). Zero when the user was never revoked.
	NotBefore time.Time
	// Ended names the sessions of the user ended one by one, by their
	// handles (what mongostore.Handle returns for a session ID), while
	// tokens of theirs may still be live.
	Ended map[string]bool
}

// revokes reports whether the stamp refuses sess.
func (st *Stamp) revokes(sess *session.Session) bool {
	// Not IssuedAt: a save after the stamp (a request in flight during
	// RevokeUser, or a server whose cache had no stamp yet) re-issues the
	// token, but keeps its creation time.
	return sess.CreatedAt().Before(st.NotBefore) || len(st.Ended) > 0 && st.Ended[recordkey.Handle(sess.ID())]
}

// maxMoveAttempts bounds the tries to move a session back to the cookie
// while other requests keep saving its record; past it the session stays
// on the server for this request, where concurrent saves merge.
const maxMoveAttempts = 4

// Options configures a Store. The zero value is the secure choice; each
// field's comment says its default.
type Options struct {
	// CookieName is the cookie's name, bound into cookie tokens. Default
	// session.DefaultCookieName.
	CookieName string

	// RevocationCacheTTL is how long a user's "not before" stamp is cached
	// in this process. A revocation made on another server takes up to
	// this long to reach cookie sessions here; the server that calls
	// RevokeUser applies it at once. Default DefaultRevocationCacheTTL (one
	// minute).
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

	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Store keeps each session in its cookie when it fits and need not be
// revocable, and in the server store otherwise, moving it between the two
// as it changes. It is safe for concurrent use.
type Store struct {
	cookie   *cookiestore.Store
	server   Server
	cacheTTL time.Duration
	failOpen bool
	log      *slog.Logger
	now      func() time.Time

	// lifetime is the longest Lifetime of the Managers that use the
	// store (see Configure), in nanoseconds; zero until one does.
	lifetime atomic.Int64
	stamps   *stampCache
}

var (
	_ session.Store       = (*Store)(nil)
	_ session.CookieNamer = (*Store)(nil)
	_ session.Configurer  = (*Store)(nil)
)

// New returns a hybrid store that seals cookie sessions with keys and keeps
// the others in server. It binds the cookie's name (Options.CookieName)
// into the server's tokens too, so a server store serves one hybrid store,
// or several of the same cookie name.
func New(keys *keyrotation.Keyring, server Server, opts Options) (*Store, error) {
	if server == nil {
		return nil, errors.New("hybrid: nil server store")
	}
	if opts.RevocationCacheTTL < 0 {
		return nil, errors.New("hybrid: negative duration")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	cookie, err := cookiestore.New(keys, cookiestore.Options{CookieName: opts.CookieName, Now: now})
	if err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	if err := server.Configure(session.Settings{CookieName: cookie.CookieName()}); err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	s := &Store{cookie: cookie, server: server, cacheTTL: opts.RevocationCacheTTL,
		failOpen: opts.FailOpen, log: opts.Logger, now: now, stamps: newStampCache(maxCachedUsers)}
	if s.cacheTTL == 0 {
		s.cacheTTL = DefaultRevocationCacheTTL
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// CookieName returns the cookie name bound into cookie tokens.
func (s *Store) CookieName() string { return s.cookie.CookieName() }

// Configure takes the settings of a Manager that uses the store; NewManager
// calls it. RevokeUser keeps its stamps for the longest Lifetime of those
// Managers, so that a stamp outlives every session it revokes; before any
// Manager has configured the store, it keeps them for good. A cookie name
// other than the store's is refused.
func (s *Store) Configure(set session.Settings) error {
	if set.CookieName != "" && set.CookieName != s.CookieName() {
		return fmt.Errorf("hybrid: the store serves the cookie %q, not %q", s.CookieName(), set.CookieName)
	}
	for {
		cur := s.lifetime.Load()
		if int64(set.Lifetime) <= cur || s.lifetime.CompareAndSwap(cur, int64(set.Lifetime)) {
			break
		}
	}
	return s.server.Configure(set)
}

// isReference reports whether token is a server reference (a JWT: three
// dot-separated parts) rather than a sealed cookie (base64url, no dots).
func isReference(token string) bool { return strings.Count(token, ".") == 2 }

// Load opens a cookie token or looks up a reference token. A session of a
// user, in either mode, is checked against the user's revocation stamp: one
// created (or logged in, see session.Session.CreatedAt) before the user's
// "not before" time is refused, however recently it was saved, and so is
// one that was ended (Destroy, or a listing's revoke) while tokens of it may
// still be live. See Options.FailOpen for what happens when the stamp
// cannot be read.
func (s *Store) Load(ctx context.Context, token string) (*session.Session, error) {
	var sess *session.Session
	var err error
	if isReference(token) {
		sess, err = s.server.Load(ctx, token)
	} else {
		sess, err = s.cookie.Load(ctx, token)
	}
	if err != nil {
		return nil, err
	}
	user := sess.User()
	if user == "" {
		return sess, nil
	}
	st, err := s.stamp(ctx, user)
	switch {
	case err != nil && s.failOpen:
		s.log.WarnContext(ctx, "hybrid: revocation check failed open", "err", err)
	case err != nil:
		return nil, fmt.Errorf("hybrid: checking revocation: %w", err)
	case st.revokes(sess):
		return nil, errRevoked
	}
	return sess, nil
}

var errRevoked = fmt.Errorf("%w: revoked", session.ErrInvalid)

// stamp returns the user's stamp, from the cache when fresh.
func (s *Store) stamp(ctx context.Context, user string) (*Stamp, error) {
	now := s.now()
	if st, ok := s.stamps.get(user, now.Add(-s.cacheTTL)); ok {
		return st, nil
	}
	st, err := s.server.Stamp(ctx, user)
	if err != nil {
		return nil, err
	}
	s.stamps.put(user, &st, now)
	return &st, nil
}

// Save puts sess in its cookie when it is not revocable and its sealed
// cookie fits session.MaxCookieSize, deleting any server record it had;
// otherwise it saves sess in the server store and returns a reference. The
// mode can change in either direction between requests, and
// Session.Mode reports the new one.
func (s *Store) Save(ctx context.Context, sess *session.Session) (string, error) {
	for attempt := 1; !sess.Revocable() && attempt <= maxMoveAttempts; attempt++ {
		token, err := s.cookie.Save(ctx, sess)
		if errors.Is(err, session.ErrTooLarge) {
			break
		}
		if err != nil {
			return "", err
		}
		if sess.Mode() != session.ModeServer {
			return token, nil
		}
		// Moving to the cookie: the record must go, or a revocation of it
		// would miss the session, but only if no other request saved it
		// meanwhile, or that request's changes would be lost.
		deleted, err := s.server.DeleteIfUnchanged(ctx, sess)
		if err != nil {
			return "", err
		}
		if deleted {
			sess.SetMode(session.ModeCookie)
			return token, nil
		}
		// sess now holds the other request's changes too: decide again.
	}
	token, err := s.server.Save(ctx, sess)
	if err != nil {
		return "", err
	}
	sess.SetMode(session.ModeServer)
	return token, nil
}

// Delete removes the session's server record, if it has one. A session
// that Destroy ended while it had a user is recorded as ended in the
// user's stamp, in either mode, so that copies of its cookie and the tokens
// it had before a move are refused on every server. That costs a database
// write at logout, also for a session in its cookie.
func (s *Store) Delete(ctx context.Context, sess *session.Session) error {
	if sess.Mode() != session.ModeServer && sess.EndedUser() == "" {
		return nil
	}
	if err := s.server.Delete(ctx, sess); err != nil {
		return err
	}
	s.stamps.forget(sess.EndedUser())
	return nil
}

// RevokeUser logs the user out everywhere: it deletes the user's server
// sessions and stamps the user so that sessions of the user created (or
// logged in) up to now are refused in either mode, the current one
// included, even if a request in flight saves one again. Session times are
// kept in whole seconds, so the stamp is rounded up: a login later in the
// same second is refused too, and its user logs in again. Other servers see
// the stamp within Options.RevocationCacheTTL; this one at once. The stamp
// is kept for the longest lifetime of the Managers that use the store (see
// Configure).
//
// It returns the number of server sessions deleted. Cookie sessions cannot
// be counted, since no server holds them; the stamp refuses all of them.
func (s *Store) RevokeUser(ctx context.Context, userID string) (int64, error) {
	nb := s.now().Truncate(time.Second).Add(time.Second)
	if err := s.server.SetNotBefore(ctx, userID, nb, time.Duration(s.lifetime.Load())); err != nil {
		return 0, err
	}
	s.stamps.forget(userID)
	return s.server.RevokeUser(ctx, userID)
}

// RevokeHandle ends the user's session that a listing of the server
// store's sessions named by handle (see mongostore.Store.Sessions): it
// deletes its record and records it in the user's stamp, so that the cookie
// tokens it had before it moved to the server are refused too. This server
// applies it at once, others within Options.RevocationCacheTTL.
func (s *Store) RevokeHandle(ctx context.Context, userID, handle string) error {
	if err := s.server.RevokeHandle(ctx, userID, handle); err != nil {
		return err
	}
	s.stamps.forget(userID)
	return nil
}
