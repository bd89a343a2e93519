package hybrid

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// Defaults used by New for zero Options fields.
const (
	DefaultRevocationCacheTTL = time.Minute
	// maxCachedUsers bounds the revocation cache; past it the cache starts
	// over.
	maxCachedUsers = 100_000
)

// Server is what the hybrid store needs of a server store.
// *mongostore.Store implements it.
type Server interface {
	session.Store
	// RevokeUser deletes every server session of the user.
	RevokeUser(ctx context.Context, userID string) (int64, error)
	// SetNotBefore records that the user's sessions created (or logged
	// in) before t are revoked, keeping the record for keep.
	SetNotBefore(ctx context.Context, userID string, t time.Time, keep time.Duration) error
	// NotBefore returns the time SetNotBefore recorded, or zero.
	NotBefore(ctx context.Context, userID string) (time.Time, error)
	// DeleteIfUnchanged deletes the session's record, leaving sess at
	// revision 0, unless another request saved it since sess was loaded;
	// then it merges that save into sess and returns false.
	DeleteIfUnchanged(ctx context.Context, sess *session.Session) (bool, error)
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

	// Lifetime is the longest session lifetime of the Managers using the
	// store: RevokeUser keeps its "not before" stamp that long. Default
	// session.DefaultLifetime.
	Lifetime time.Duration

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
	lifetime time.Duration
	cacheTTL time.Duration
	failOpen bool
	log      *slog.Logger
	now      func() time.Time

	mu    sync.Mutex
	stamp map[string]cachedStamp // user ID → not-before
}

type cachedStamp struct {
	notBefore time.Time
	fetched   time.Time
}

var (
	_ session.Store       = (*Store)(nil)
	_ session.CookieNamer = (*Store)(nil)
)

// New returns a hybrid store that seals cookie sessions with keys and keeps
// the others in server.
func New(keys *keyrotation.Keyring, server Server, opts Options) (*Store, error) {
	if server == nil {
		return nil, errors.New("hybrid: nil server store")
	}
	if opts.Lifetime < 0 || opts.RevocationCacheTTL < 0 {
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
	s := &Store{cookie: cookie, server: server, lifetime: opts.Lifetime, cacheTTL: opts.RevocationCacheTTL,
		failOpen: opts.FailOpen, log: opts.Logger, now: now, stamp: map[string]cachedStamp{}}
	if s.lifetime == 0 {
		s.lifetime = session.DefaultLifetime
	}
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

// isReference reports whether token is a server reference (a JWT: three
// dot-separated parts) rather than a sealed cookie (base64url, no dots).
func isReference(token string) bool { return strings.Count(token, ".") == 2 }

// Load opens a cookie token or looks up a reference token. A session of a
// user, in either mode, is checked against the user's "not before" stamp:
// one created (or logged in, see session.Session.CreatedAt) before it is
// refused, however recently it was saved. See Options.FailOpen for what
// happens when the stamp cannot be read.
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
	nb, err := s.notBefore(ctx, user)
	switch {
	case err != nil && s.failOpen:
		s.log.WarnContext(ctx, "hybrid: revocation check failed open", "err", err)
	case err != nil:
		return nil, fmt.Errorf("hybrid: checking revocation: %w", err)
	case sess.CreatedAt().Before(nb):
		// Not IssuedAt: a save after the stamp (a request in flight during
		// RevokeUser, or a server whose cache had no stamp yet) re-issues
		// the token, but keeps its creation time.
		return nil, errRevoked
	}
	return sess, nil
}

var errRevoked = fmt.Errorf("%w: revoked", session.ErrInvalid)

// notBefore returns the user's stamp, from the cache when fresh.
func (s *Store) notBefore(ctx context.Context, user string) (time.Time, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.stamp[user]
	s.mu.Unlock()
	if ok && now.Sub(c.fetched) < s.cacheTTL {
		return c.notBefore, nil
	}
	nb, err := s.server.NotBefore(ctx, user)
	if err != nil {
		return time.Time{}, err
	}
	s.remember(user, nb, now)
	return nb, nil
}

func (s *Store) remember(user string, nb, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.stamp) >= maxCachedUsers {
		clear(s.stamp)
	}
	s.stamp[user] = cachedStamp{notBefore: nb, fetched: now}
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

// Delete removes the session's server record, if it has one.
func (s *Store) Delete(ctx context.Context, sess *session.Session) error {
	if sess.Mode() != session.ModeServer {
		return nil
	}
	return s.server.Delete(ctx, sess)
}

// RevokeUser logs the user out everywhere: it deletes the user's server
// sessions and stamps the user so that sessions of the user created (or
// logged in) up to now are refused in either mode, the current one
// included, even if a request in flight saves one again. Session times are
// kept in whole seconds, so the stamp is rounded up: a login later in the
// same second is refused too, and its user logs in again. Other servers see
// the stamp within Options.RevocationCacheTTL; this one at once.
//
// It returns the number of server sessions deleted. Cookie sessions cannot
// be counted, since no server holds them; the stamp refuses all of them.
func (s *Store) RevokeUser(ctx context.Context, userID string) (int64, error) {
	now := s.now()
	nb := now.Truncate(time.Second).Add(time.Second)
	if err := s.server.SetNotBefore(ctx, userID, nb, s.lifetime); err != nil {
		return 0, err
	}
	s.remember(userID, nb, now)
	return s.server.RevokeUser(ctx, userID)
}
