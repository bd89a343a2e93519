// Package reftoken signs and parses reference tokens: the JWTs that a
// server store gives the client in place of the session, naming the
// session's record.
//
// A token has the header alg and kid (the ring key's ID in decimal) and the
// claims jti (the session ID), aud (the cookie's name, as one string) and
// exp (the session's idle deadline when it was issued). It has no iat and no
// typ: the record holds the session's times, which the Manager checks, and
// every byte counts against the cookie.
//
// Parse pins the signing method, looks the key up once by kid, verifies the
// signature before reading any claim, and requires jti, exp and an aud equal
// to the cookie's name. It does not compare exp with a clock: the session's
// deadlines are the Manager's to check, once, from the record.
package reftoken

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session/keyrotation"
)

// MaxLen bounds the tokens Parse reads; a server store's own are under 200
// bytes.
const MaxLen = 1024

// The signing methods.
const (
	HS256 = "HS256" // HMAC-SHA256 with the ring key's JWT subkey
	EdDSA = "EdDSA" // Ed25519 with the ring key's Ed25519 key, verifiable with the ring's JWKS
)

// ErrInvalid reports a token that is not an authentic reference token for
// the cookie name. A token signed under a key the ring lacks, or holds
// disabled, also matches keyrotation.ErrUnknownKey.
var ErrInvalid = errors.New("reftoken: invalid token")

var errUnknownKey = fmt.Errorf("%w: %w", ErrInvalid, keyrotation.ErrUnknownKey)

// Codec signs and parses tokens with one signing method under a key ring.
// It is safe for concurrent use.
type Codec struct {
	keys   *keyrotation.Keyring
	method jwt.SigningMethod
	parser *jwt.Parser
}

// New returns a Codec for method, HS256 or EdDSA; "" is HS256.
func New(keys *keyrotation.Keyring, method string) (*Codec, error) {
	var m jwt.SigningMethod
	switch method {
	case "", HS256:
		m = jwt.SigningMethodHS256
	case EdDSA:
		m = jwt.SigningMethodEdDSA
	default:
		return nil, fmt.Errorf("reftoken: unknown signing method %q: want HS256 or EdDSA", method)
	}
	return &Codec{keys: keys, method: m, parser: jwt.NewParser(
		jwt.WithValidMethods([]string{m.Alg()}),
		// The claims are checked below, without a clock.
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
	)}, nil
}

// claims are the claims of a token as it is signed: aud is one string
// rather than the array that jwt.ClaimStrings writes.
type claims struct {
	ID        string           `json:"jti"`
	Audience  string           `json:"aud"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
}

func (c claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c claims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (c claims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c claims) GetIssuer() (string, error)                   { return "", nil }
func (c claims) GetSubject() (string, error)                  { return "", nil }
func (c claims) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings{c.Audience}, nil }

// Sign returns a token for the session id, for the cookie name, expiring
// at exp, signed with the ring's primary key.
func (c *Codec) Sign(name, id string, exp time.Time) (string, error) {
	kid, _, err := c.keys.Primary(keyrotation.PurposeJWT)
	if err != nil {
		return "", fmt.Errorf("reftoken: %w", err)
	}
	var key any
	if c.method == jwt.SigningMethodHS256 {
		key, err = c.keys.MACKey(keyrotation.PurposeJWT, kid)
	} else {
		key, err = c.keys.Ed25519Key(kid)
	}
	if err != nil {
		return "", fmt.Errorf("reftoken: %w", err)
	}
	t := jwt.NewWithClaims(c.method, claims{ID: id, Audience: name, ExpiresAt: jwt.NewNumericDate(exp)})
	t.Header = map[string]any{"alg": c.method.Alg(), "kid": strconv.FormatUint(uint64(kid), 10)}
	return t.SignedString(key)
}

// Parsed is what Parse found in an authentic token.
type Parsed struct {
	ID    string    // the session ID (jti)
	KeyID uint32    // the ring key that signed it (kid)
	Exp   time.Time // its exp, which Parse does not compare with a clock
}

// Parse verifies token, issued for the cookie name, and returns its claims.
// Every failure is ErrInvalid, and also keyrotation.ErrUnknownKey for a
// key the ring does not hold or holds disabled.
func (c *Codec) Parse(token, name string) (Parsed, error) {
	var cl jwt.RegisteredClaims
	t, err := c.verify(token, &cl)
	if err != nil {
		return Parsed{}, err
	}
	if cl.ID == "" || cl.ExpiresAt == nil || len(cl.Audience) != 1 || cl.Audience[0] != name {
		return Parsed{}, ErrInvalid
	}
	kid, _ := KeyID(t.Header) // verify found the key it names
	return Parsed{ID: cl.ID, KeyID: kid, Exp: cl.ExpiresAt.Time}, nil
}

// verify checks the length, the method and the signature of token and
// decodes its claims into cl.
func (c *Codec) verify(token string, cl jwt.Claims) (*jwt.Token, error) {
	if len(token) > MaxLen {
		return nil, ErrInvalid
	}
	t, err := c.parser.ParseWithClaims(token, cl, c.verificationKey)
	switch {
	case errors.Is(err, keyrotation.ErrUnknownKey):
		return nil, errUnknownKey
	case err != nil:
		return nil, ErrInvalid
	}
	return t, nil
}

// verificationKey finds the key a token's header names, once; a token
// without a usable kid has no key.
func (c *Codec) verificationKey(t *jwt.Token) (any, error) {
	id, ok := KeyID(t.Header)
	if !ok {
		return nil, ErrInvalid
	}
	if c.method == jwt.SigningMethodHS256 {
		key, err := c.keys.MACKey(keyrotation.PurposeJWT, id)
		if err != nil {
			return nil, keyrotation.ErrUnknownKey
		}
		return key, nil
	}
	priv, err := c.keys.Ed25519Key(id)
	if err != nil {
		return nil, keyrotation.ErrUnknownKey
	}
	pub := priv.Public()
	clear(priv) // verifying needs the public half only
	return pub, nil
}

// KeyID returns the key ID of a token header's kid: a uint32 in canonical
// decimal.
func KeyID(header map[string]any) (uint32, bool) {
	kid, ok := header["kid"].(string)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(kid, 10, 32)
	if err != nil || strconv.FormatUint(id, 10) != kid {
		return 0, false
	}
	return uint32(id), true
}
