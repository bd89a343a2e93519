package cookiestore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/keyrotation"
)

// Options configures a Store. The zero value is the secure choice.
type Options struct {
	// CookieName is the name of the cookie that carries the token. It is
	// bound into every token, so a token cannot be replayed under another
	// cookie. Default session.DefaultCookieName ("__Host-session"). The
	// Manager takes it from the store; see session.CookieNamer.
	CookieName string

	// Now returns the current time, against which tokens' deadlines are
	// checked. Default time.Now.
	Now func() time.Time
}

// Store keeps each session entirely in its cookie, sealed with AES-256-GCM
// under the key ring's primary key. It keeps no state on the server. It is
// safe for concurrent use.
type Store struct {
	keys *keyrotation.Keyring
	name string
	now  func() time.Time
	rand io.Reader // nonces; replaced only by tests, to make known-answer vectors
}

var (
	_ session.Store       = (*Store)(nil)
	_ session.CookieNamer = (*Store)(nil)
)

// New returns a Store that seals sessions with keys. The ring may change
// while the store uses it (rotation, hot reload): each token is sealed with
// the primary key of the moment and opened with the key its header names.
func New(keys *keyrotation.Keyring, opts Options) (*Store, error) {
	if keys == nil {
		return nil, errors.New("cookiestore: nil key ring")
	}
	if _, err := keys.Primary(keyrotation.PurposeCookie); err != nil {
		return nil, fmt.Errorf("cookiestore: %w", err)
	}
	s := &Store{keys: keys, name: opts.CookieName, now: opts.Now, rand: rand.Reader}
	if s.name == "" {
		s.name = session.DefaultCookieName
	}
	if s.now == nil {
		s.now = time.Now
	}
	if len(s.name) >= session.MaxCookieSize-format.MinTokenLen {
		return nil, errors.New("cookiestore: cookie name too long")
	}
	return s, nil
}

// CookieName returns the cookie name bound into the store's tokens.
func (s *Store) CookieName() string { return s.name }

// MaxTokenLen returns the longest token the store produces: what is left
// of session.MaxCookieSize after the cookie's name.
func (s *Store) MaxTokenLen() int { return session.MaxCookieSize - len(s.name) }

// scratch is reusable space for sealing and opening, so that a round trip
// allocates only what it returns.
type scratch struct{ a, b []byte }

var scratches = sync.Pool{New: func() any {
	return &scratch{a: make([]byte, 0, 2048), b: make([]byte, 0, 2048)}
}}

// Load opens token. It returns session.ErrInvalid (or ErrUnknownKey, which
// matches it) for anything that is not an authentic token of this store for
// this cookie name, and session.ErrExpired for an authentic one past its
// idle or absolute deadline. A session opened with a key other than the
// current primary is marked to be re-sealed with the primary when the
// response is written.
func (s *Store) Load(_ context.Context, token string) (*session.Session, error) {
	if len(token) < format.MinTokenLen || len(token) > format.MaxTokenLen {
		return nil, session.ErrInvalid
	}
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	// The session keeps the plaintext, so it gets a buffer of its own.
	buf := make([]byte, 0, format.Base64.DecodedLen(len(token)))
	plaintext, c, err := format.Open(buf, token, 0, s.name, s.keys, keyrotation.PurposeCookie, sc.a)
	if err != nil {
		return nil, err
	}
	sess, err := session.Restore(plaintext, session.ModeCookie)
	if err != nil {
		return nil, session.ErrInvalid
	}
	if !s.now().Before(sess.ExpiresAt()) {
		return nil, session.ErrExpired
	}
	if c.ID() != s.keys.PrimaryID() {
		sess.Touch()
	}
	return sess, nil
}

// Save seals sess into a token. It returns a *session.SizeError, which
// matches session.ErrTooLarge, when the cookie's name and the token together
// would exceed session.MaxCookieSize.
func (s *Store) Save(_ context.Context, sess *session.Session) (string, error) {
	c, err := s.keys.Primary(keyrotation.PurposeCookie)
	if err != nil {
		return "", fmt.Errorf("cookiestore: %w", err)
	}
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	b, err := format.Begin(sc.a[:0], 0, c.ID(), s.rand)
	if err != nil {
		return "", fmt.Errorf("cookiestore: reading nonce: %w", err)
	}
	b, _ = sess.AppendBinary(b)
	sc.a = b
	if size := len(s.name) + format.Base64.EncodedLen(len(b)+format.TagSize); size > session.MaxCookieSize {
		clear(b) // no plaintext left in the pool
		return "", &session.SizeError{Size: size, Limit: session.MaxCookieSize}
	}
	b = format.Seal(b, 0, c, s.name, sc.b)
	sc.a = b
	sc.b = format.Base64.AppendEncode(sc.b[:0], b)
	return string(sc.b), nil
}

// Delete does nothing: a cookie session has no server record. The Manager
// expires the cookie.
func (s *Store) Delete(context.Context, *session.Session) error { return nil }
