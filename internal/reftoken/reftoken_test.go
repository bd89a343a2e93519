package reftoken

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session/keyrotation"
)

const name = "sid"

func newKeys(t *testing.T) *keyrotation.Keyring {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func newCodec(t *testing.T, keys *keyrotation.Keyring, method string) *Codec {
	t.Helper()
	c, err := New(keys, method)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sign(t *testing.T, method jwt.SigningMethod, header map[string]any, claims jwt.Claims, key any) string {
	t.Helper()
	tk := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tk.Header[k] = v
	}
	out, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	keys := newKeys(t)
	exp := time.Unix(1_800_000_000, 0)
	for _, method := range []string{HS256, EdDSA} {
		t.Run(method, func(t *testing.T) {
			c := newCodec(t, keys, method)
			tok, err := c.Sign(name, "q2D9vJm1c0bWw3nY8fR4sA", exp)
			if err != nil {
				t.Fatal(err)
			}
			// An Ed25519 signature is 32 bytes longer than an HMAC.
			if limit := map[string]int{HS256: 200, EdDSA: 250}[method]; len(tok) >= limit {
				t.Errorf("token of %d bytes, want under %d", len(tok), limit)
			}
			got, err := c.Parse(tok, name)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.ID != "q2D9vJm1c0bWw3nY8fR4sA" || got.KeyID != keys.Keys()[0].ID || !got.Exp.Equal(exp) {
				t.Errorf("got %+v", got)
			}
			if err := Verify(keys, tok); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	if _, err := New(keys, "RS256"); err == nil {
		t.Error("RS256: got no error")
	}
}

// TestParseRefuses flips every check of Parse. A token past its exp
// parses: the session's deadlines are the Manager's to check.
func TestParseRefuses(t *testing.T) {
	keys := newKeys(t)
	c := newCodec(t, keys, HS256)
	key, err := keys.MACKey(keyrotation.PurposeJWT, keys.Keys()[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	kid := fmt.Sprint(keys.Keys()[0].ID)
	aud := jwt.ClaimStrings{name}
	exp := jwt.NewNumericDate(time.Now().Add(time.Hour))
	claims := jwt.RegisteredClaims{ID: "id", Audience: aud, ExpiresAt: exp}
	if _, err := c.Parse(sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, claims, key), name); err != nil {
		t.Fatalf("a token signed like Sign's: %v", err)
	}
	past := jwt.RegisteredClaims{ID: "id", Audience: aud, ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Hour))}
	if _, err := c.Parse(sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, past, key), name); err != nil {
		t.Errorf("a token past its exp: got %v, want it parsed", err)
	}
	ed := newCodec(t, keys, EdDSA)
	edTok, err := ed.Sign(name, "id", exp.Time)
	if err != nil {
		t.Fatal(err)
	}
	hsTok, err := c.Sign(name, "id", exp.Time)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keys.Ed25519Key(keys.Keys()[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	cases := map[string]struct {
		codec *Codec
		token string
	}{
		"alg none":    {c, sign(t, jwt.SigningMethodNone, map[string]any{"kid": kid}, claims, jwt.UnsafeAllowNoneSignatureType)},
		"HS512":       {c, sign(t, jwt.SigningMethodHS512, map[string]any{"kid": kid}, claims, key)},
		"HS384":       {c, sign(t, jwt.SigningMethodHS384, map[string]any{"kid": kid}, claims, key)},
		"wrong key":   {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, claims, []byte("0123456789abcdef0123456789abcdef"))},
		"no kid":      {c, sign(t, jwt.SigningMethodHS256, nil, claims, key)},
		"numeric kid": {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": keys.Keys()[0].ID}, claims, key)},
		"padded kid":  {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": "0" + kid}, claims, key)},
		"no jti":      {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, jwt.RegisteredClaims{Audience: aud, ExpiresAt: exp}, key)},
		"no exp":      {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, jwt.RegisteredClaims{ID: "id", Audience: aud}, key)},
		"no aud":      {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, jwt.RegisteredClaims{ID: "id", ExpiresAt: exp}, key)},
		"other aud":   {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, jwt.RegisteredClaims{ID: "id", Audience: jwt.ClaimStrings{"admin"}, ExpiresAt: exp}, key)},
		"two auds": {c, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid},
			jwt.RegisteredClaims{ID: "id", Audience: jwt.ClaimStrings{"admin", name}, ExpiresAt: exp}, key)},
		"many dots":           {c, hsTok + ".x.y"},
		"too long":            {c, hsTok + strings.Repeat("A", MaxLen)},
		"huge":                {c, strings.Repeat("a", 100000) + "." + strings.Repeat("b", 100000) + ".c"},
		"cookie token":        {c, "AQAAAAAqUVJTVFVWV1hZWltcUGrX-oW5Np2visC8J8EbiJ4kjp92bb2HWd5IEkhSa"},
		"EdDSA at HS256":      {c, edTok},
		"HS256 at EdDSA":      {ed, hsTok},
		"HS256 keyed by pub":  {ed, sign(t, jwt.SigningMethodHS256, map[string]any{"kid": kid}, claims, []byte(pub))},
		"other cookie's name": {c, func() string { tok, _ := c.Sign("admin", "id", exp.Time); return tok }()},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := tc.codec.Parse(tc.token, "sid"); !errors.Is(err, ErrInvalid) || errors.Is(err, keyrotation.ErrUnknownKey) {
				t.Errorf("got %+v, %v; want ErrInvalid", got, err)
			}
		})
	}
	unknown := sign(t, jwt.SigningMethodHS256, map[string]any{"kid": "1"}, claims, key)
	if _, err := c.Parse(unknown, name); !errors.Is(err, ErrInvalid) || !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("unknown kid: got %v, want ErrInvalid and ErrUnknownKey", err)
	}
}

func TestDecodeAndVerify(t *testing.T) {
	keys := newKeys(t)
	c := newCodec(t, keys, HS256)
	exp := time.Unix(1_800_000_000, 0)
	tok, err := c.Sign(name, "id", exp)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if kid, ok := KeyID(d.Header); d.Alg != HS256 || !ok || kid != keys.Keys()[0].ID || d.ID != "id" ||
		len(d.Audience) != 1 || d.Audience[0] != name || !d.ExpiresAt.Equal(exp) || !d.IssuedAt.IsZero() {
		t.Errorf("Decode: %+v", d)
	}
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "." + string(flip(parts[2][0])) + parts[2][1:]
	if err := Verify(keys, tampered); !errors.Is(err, ErrInvalid) {
		t.Errorf("Verify of a tampered token: got %v, want ErrInvalid", err)
	}
	if err := Verify(newKeys(t), tok); !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("Verify under another ring: got %v, want ErrUnknownKey", err)
	}
	if _, err := Decode("a.b.c"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Decode of garbage: got %v, want ErrInvalid", err)
	}
}

func flip(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}
