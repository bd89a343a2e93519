package mongostore

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
)

// audience is the cookie name bound into reference tokens, with the parser
// that requires it.
type audience struct {
	name   string
	parser *jwt.Parser
	set    bool // by Configure, rather than the default
}

// bind returns the audience for the cookie name.
func (s *Store) bind(name string, set bool) *audience {
	return &audience{name: name, set: set, parser: jwt.NewParser(
		jwt.WithValidMethods([]string{s.method.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithAudience(name),
		jwt.WithLeeway(s.leeway),
		jwt.WithTimeFunc(s.now),
		jwt.WithStrictDecoding(),
	)}
}

// Configure binds the cookie name of the Manager (or hybrid store) that
// uses the store into the reference tokens it issues, as their audience,
// and refuses tokens issued for another name. Until then the name is
// session.DefaultCookieName. NewManager calls it; a store that already
// serves one cookie name refuses another, so that a token cannot move
// between two cookies.
func (s *Store) Configure(set session.Settings) error {
	if set.CookieName == "" {
		return nil
	}
	s.configure.Lock()
	defer s.configure.Unlock()
	switch cur := s.aud.Load(); {
	case !cur.set:
		s.aud.Store(s.bind(set.CookieName, true))
	case cur.name != set.CookieName:
		return fmt.Errorf("mongostore: the store serves the cookie %q and cannot also serve %q; give each cookie a store of its own", cur.name, set.CookieName)
	}
	return nil
}

// token records that sess, just saved, lives on the server, and signs a
// reference to it: header kid, claims jti (the session ID), aud (the
// cookie's name) and exp (the session's expiry), with the primary key's JWT
// subkey (HS256) or Ed25519 key (EdDSA). No iat: the record holds the
// session's times, which the Manager checks, and every byte counts against
// the cookie.
func (s *Store) token(sess *session.Session) (string, error) {
	sess.SetMode(session.ModeServer)
	kid := s.keys.PrimaryID()
	key, err := s.signingKey(kid)
	if err != nil {
		return "", fmt.Errorf("mongostore: %w", err)
	}
	t := jwt.NewWithClaims(s.method, tokenClaims{
		ID:        sess.ID(),
		Audience:  s.aud.Load().name,
		ExpiresAt: jwt.NewNumericDate(sess.ExpiresAt()),
	})
	// No "typ" either: the token is only ever read by this store.
	t.Header = map[string]any{"alg": t.Method.Alg(), "kid": strconv.FormatUint(uint64(kid), 10)}
	return t.SignedString(key)
}

// tokenClaims are the claims of a reference token as it is signed: the
// registered claims it uses, with aud as one string rather than the array
// that jwt.ClaimStrings writes.
type tokenClaims struct {
	ID        string           `json:"jti"`
	Audience  string           `json:"aud"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
}

func (c tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (c tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c tokenClaims) GetIssuer() (string, error)                   { return "", nil }
func (c tokenClaims) GetSubject() (string, error)                  { return "", nil }
func (c tokenClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{c.Audience}, nil
}

// parseToken verifies a reference token and returns its session ID and the
// ID of the key that signed it.
func (s *Store) parseToken(token string) (string, uint32, error) {
	if len(token) > maxTokenLen {
		return "", 0, session.ErrInvalid
	}
	var claims jwt.RegisteredClaims
	t, err := s.aud.Load().parser.ParseWithClaims(token, &claims, s.verificationKey)
	switch {
	case err == nil && claims.ID != "":
		kid, _ := keyID(t) // verified: verificationKey found the key
		return claims.ID, kid, nil
	case errors.Is(err, jwt.ErrTokenExpired):
		// The library checks claims only after the signature.
		return "", 0, session.ErrExpired
	case errors.Is(err, session.ErrUnknownKey):
		return "", 0, session.ErrUnknownKey
	}
	return "", 0, session.ErrInvalid
}

// keyID returns the key ID of a token's kid header: a uint32 in canonical
// decimal.
func keyID(t *jwt.Token) (uint32, bool) {
	kid, ok := t.Header["kid"].(string)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(kid, 10, 32)
	if err != nil || strconv.FormatUint(id, 10) != kid {
		return 0, false
	}
	return uint32(id), true
}

// verificationKey finds the key a token's header names, once; a token
// without a usable kid has no key.
func (s *Store) verificationKey(t *jwt.Token) (any, error) {
	id, ok := keyID(t)
	if !ok {
		return nil, session.ErrInvalid
	}
	var key any
	var err error
	if s.method == jwt.SigningMethodHS256 {
		key, err = s.keys.MACKey(keyrotation.PurposeJWT, id)
	} else {
		key, err = s.keys.Ed25519PublicKey(id)
	}
	if err != nil {
		return nil, session.ErrUnknownKey
	}
	return key, nil
}

// signingKey returns key kid's key for the signing method.
func (s *Store) signingKey(kid uint32) (any, error) {
	if s.method == jwt.SigningMethodHS256 {
		return s.keys.MACKey(keyrotation.PurposeJWT, kid)
	}
	return s.keys.Ed25519Key(kid)
}
