package reftoken

import (
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session/keyrotation"
)

// Token is a token's header and claims as they stand, for display: nothing
// in it is authentic until Verify says so.
type Token struct {
	Alg       string         // the header's alg, "" when absent or not a string
	Header    map[string]any // the whole header, for KeyID
	ID        string         // jti
	Audience  []string       // aud
	IssuedAt  time.Time      // iat, zero when absent; tokens of this package have none
	ExpiresAt time.Time      // exp, zero when absent
}

// Decode reads token without verifying it, for tools that show what a
// token holds (sessionkeys inspect). A store uses Parse.
func Decode(token string) (*Token, error) {
	if len(token) > MaxLen {
		return nil, ErrInvalid
	}
	var cl jwt.RegisteredClaims
	t, _, err := jwt.NewParser(jwt.WithStrictDecoding()).ParseUnverified(token, &cl)
	if err != nil {
		return nil, ErrInvalid
	}
	out := &Token{Header: t.Header, ID: cl.ID, Audience: cl.Audience}
	out.Alg, _ = t.Header["alg"].(string)
	if cl.IssuedAt != nil {
		out.IssuedAt = cl.IssuedAt.Time
	}
	if cl.ExpiresAt != nil {
		out.ExpiresAt = cl.ExpiresAt.Time
	}
	return out, nil
}

// Verify checks the signature of token under keys, with the method its
// header names (HS256 or EdDSA) and the key its kid names, without checking
// its claims. The key's type follows the method, so a token cannot choose
// a key of another kind (algorithm confusion). The errors are those of
// Parse.
func Verify(keys *keyrotation.Keyring, token string) error {
	t, err := Decode(token)
	if err != nil {
		return err
	}
	if t.Alg != HS256 && t.Alg != EdDSA {
		return ErrInvalid
	}
	c, err := New(keys, t.Alg)
	if err != nil {
		return ErrInvalid
	}
	_, err = c.verify(token, &jwt.RegisteredClaims{})
	return err
}
