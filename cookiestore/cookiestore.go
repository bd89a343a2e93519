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
	"github.com/sessionseal/session/internal/observe"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/keyrotation"
)

// Store keeps each session entirely in its cookie, sealed with AES-256-GCM
// under the key ring's primary key. It keeps no state on the server. It is
// safe for concurrent use.
type Store struct {
	keys *keyrotation.Keyring
	rand io.Reader // nonces; replaced only by tests, to make known-answer vectors
	// observer is the Manager's Observer, learned from its calls and handed
	// to the ring, which reports its reloads to it.
	observer observe.Latest
}

var _ session.Store = (*Store)(nil)

// New returns a Store that seals sessions with keys. The ring may change
// while the store uses it (rotation, hot reload): each token is sealed with
// the primary key of the moment and opened with the key its header names.
func New(keys *keyrotation.Keyring) (*Store, error) {
	if keys == nil {
		return nil, errors.New("cookiestore: nil key ring")
	}
	if _, _, err := keys.Primary(keyrotation.PurposeCookie); err != nil {
		return nil, fmt.Errorf("cookiestore: %w", err)
	}
	return &Store{keys: keys, rand: rand.Reader}, nil
}

// scratch is reusable space for sealing and opening, so that a round trip
// allocates only what it returns.
type scratch struct{ a, b []byte }

var scratches = sync.Pool{New: func() any {
	return &scratch{a: make([]byte, 0, 2048), b: make([]byte, 0, 2048)}
}}

// errUnknownKey is the error of a token sealed under a key the ring does
// not hold, or holds disabled.
var errUnknownKey = fmt.Errorf("%w: %w", session.ErrInvalid, keyrotation.ErrUnknownKey)

// Load opens token, sealed for the cookie name. It returns an error
// matching session.ErrInvalid for anything that is not an authentic token
// of this store for this name (and keyrotation.ErrUnknownKey too for a key
// the ring lacks). A record opened with a key other than the current
// primary asks to be re-sealed (Record.Reseal).
func (s *Store) Load(ctx context.Context, name, token string, _ time.Time) (*session.Record, error) {
	s.observer.Learn(ctx, s.keys)
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	// The record keeps the plaintext, so it gets a buffer of its own,
	// which decoding allocates once the token's length has passed: a
	// token refused for its length costs no allocation.
	plaintext, kid, err := format.Open(nil, token, 0, name, s.keys, keyrotation.PurposeCookie, sc.a)
	switch {
	case errors.Is(err, keyrotation.ErrUnknownKey):
		return nil, errUnknownKey
	case err != nil:
		return nil, session.ErrInvalid
	}
	primary, _, err := s.keys.Primary(keyrotation.PurposeCookie)
	if err != nil {
		return nil, fmt.Errorf("cookiestore: %w", err)
	}
	return &session.Record{Payload: plaintext, Mode: session.ModeCookie, Reseal: kid != primary}, nil
}

// Save seals r's payload into a token for the cookie name. It returns a
// *session.SizeError, which matches session.ErrTooLarge, when the name and
// the token together would exceed session.MaxCookieSize, now or later in
// the session's life (its times take a few more bytes as it ages): browsers
// drop such a cookie and keep sending the old one, and a session saved
// once must fit again when it is refreshed unchanged.
func (s *Store) Save(ctx context.Context, name string, r *session.Record, _ time.Time) (string, error) {
	s.observer.Learn(ctx, s.keys)
	kid, c, err := s.keys.Primary(keyrotation.PurposeCookie)
	if err != nil {
		return "", fmt.Errorf("cookiestore: %w", err)
	}
	grow := payload.Growth(r.Started.Unix(), r.Issued.Unix(), r.Idle.Unix(), r.Deadline.Unix())
	if size := len(name) + format.Base64.EncodedLen(format.Overhead+len(r.Payload)+grow); size > session.MaxCookieSize {
		return "", &session.SizeError{Size: size, Limit: session.MaxCookieSize}
	}
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	b, err := format.Begin(sc.a[:0], 0, kid, s.rand)
	if err != nil {
		return "", fmt.Errorf("cookiestore: reading nonce: %w", err)
	}
	// Sealed in place: no plaintext stays in the pool.
	b = format.Seal(append(b, r.Payload...), 0, c, name, sc.b)
	sc.a = b
	sc.b = format.Base64.AppendEncode(sc.b[:0], b)
	return string(sc.b), nil
}

// Delete does nothing: a cookie session has no server record. The Manager
// expires the cookie.
func (s *Store) Delete(context.Context, *session.Record, time.Time) error { return nil }
