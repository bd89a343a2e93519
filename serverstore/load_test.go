package serverstore_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

func TestAlteredRecordIsRejected(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		r1, s1 := testkit.Load(t, m, nil)
		r2, s2 := testkit.Load(t, m, nil)
		s1.Set("role", "user")
		s2.Set("role", "admin")
		c1, c2 := testkit.Save(t, m, r1, s1), testkit.Save(t, m, r2, s2)
		d1, d2 := f.document(t, s1.ID()), f.document(t, s2.ID())
		// Swap the sealed data of the two records: each is bound to its key.
		for _, swap := range []struct{ doc, from *serverstore.Document }{{d1, d2}, {d2, d1}} {
			doc := *swap.doc
			doc.Data = swap.from.Data
			if ok, err := f.b.Update(ctx, &doc, doc.Version); !ok || err != nil {
				t.Fatalf("swapping data: %v, %v", ok, err)
			}
		}
		for _, c := range []*http.Cookie{c1, c2} {
			if _, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
				t.Errorf("swapped data: got %v, want ErrInvalid", err)
			}
		}
		// Flip one byte of a record's data.
		doc := f.document(t, s1.ID())
		doc.Data = append([]byte(nil), d1.Data...)
		doc.Data[len(doc.Data)/2] ^= 1
		if ok, err := f.b.Update(ctx, doc, doc.Version); !ok || err != nil {
			t.Fatal(err)
		}
		if _, err := f.load(t, m, c1.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("altered data: got %v, want ErrInvalid", err)
		}
		if _, s := testkit.Load(t, m, c1); s.ID() == s1.ID() {
			t.Error("the Manager loaded a session whose record was altered")
		}
	})
}

// TestTokens flips every check of a reference token at the store. A token
// whose exp has passed still names a live record: the store returns it,
// and the Manager refuses the session only if its own deadlines, in the
// record, have passed.
func TestTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		s, c := saveNew(t, m)
		tok := c.Value
		if len(tok) >= 200 {
			t.Errorf("reference token of %d bytes, want under 200", len(tok))
		}
		key, err := f.keys.MACKey(keyrotation.PurposeJWT, f.keys.Keys()[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		kid := fmt.Sprint(f.keys.Keys()[0].ID)
		aud := jwt.ClaimStrings{m.CookieName()}
		claims := jwt.RegisteredClaims{ID: s.ID(), Audience: aud, ExpiresAt: jwt.NewNumericDate(f.clock.Now().Add(time.Hour))}
		sign := func(method jwt.SigningMethod, header map[string]any, claims jwt.Claims, key any) string {
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
		if _, err := f.load(t, m, sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, claims, key)); err != nil {
			t.Fatalf("a token signed like the store's: %v", err)
		}
		expired := jwt.RegisteredClaims{ID: s.ID(), Audience: aud, ExpiresAt: jwt.NewNumericDate(f.clock.Now().Add(-time.Hour))}
		if _, err := f.load(t, m, sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, expired, key)); err != nil {
			t.Errorf("a token past its exp, for a live record: got %v, want the record", err)
		}
		noExp := jwt.RegisteredClaims{ID: s.ID(), Audience: aud}
		noAud := jwt.RegisteredClaims{ID: s.ID(), ExpiresAt: claims.ExpiresAt}
		otherAud := jwt.RegisteredClaims{ID: s.ID(), Audience: jwt.ClaimStrings{"admin"}, ExpiresAt: claims.ExpiresAt}
		unknown := jwt.RegisteredClaims{ID: "nope", Audience: aud, ExpiresAt: claims.ExpiresAt}
		cases := map[string]struct {
			token string
			want  error
		}{
			"alg none": {sign(jwt.SigningMethodNone, map[string]any{"kid": kid}, claims, jwt.UnsafeAllowNoneSignatureType), session.ErrInvalid},
			"HS512":    {sign(jwt.SigningMethodHS512, map[string]any{"kid": kid}, claims, key), session.ErrInvalid},
			"HS384":    {sign(jwt.SigningMethodHS384, map[string]any{"kid": kid}, claims, key), session.ErrInvalid},
			"wrong key": {sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, claims, []byte("0123456789abcdef0123456789abcdef")),
				session.ErrInvalid},
			"no kid":         {sign(jwt.SigningMethodHS256, nil, claims, key), session.ErrInvalid},
			"numeric kid":    {sign(jwt.SigningMethodHS256, map[string]any{"kid": f.keys.Keys()[0].ID}, claims, key), session.ErrInvalid},
			"padded kid":     {sign(jwt.SigningMethodHS256, map[string]any{"kid": "0" + kid}, claims, key), session.ErrInvalid},
			"unknown kid":    {sign(jwt.SigningMethodHS256, map[string]any{"kid": "1"}, claims, key), keyrotation.ErrUnknownKey},
			"no exp":         {sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, noExp, key), session.ErrInvalid},
			"no aud":         {sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, noAud, key), session.ErrInvalid},
			"other aud":      {sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, otherAud, key), session.ErrInvalid},
			"many dots":      {tok + ".x.y", session.ErrInvalid},
			"huge":           {strings.Repeat("a", 100000) + "." + strings.Repeat("b", 100000) + ".c", session.ErrInvalid},
			"cookie token":   {"AQAAAAAqUVJTVFVWV1hZWltcUGrX-oW5Np2visC8J8EbiJ4kjp92bb2HWd5IEkhSa", session.ErrInvalid},
			"unknown record": {sign(jwt.SigningMethodHS256, map[string]any{"kid": kid}, unknown, key), session.ErrInvalid},
		}
		for name, tc := range cases {
			t.Run(name, func(t *testing.T) {
				got, err := f.load(t, m, tc.token)
				if !errors.Is(err, tc.want) || !errors.Is(err, session.ErrInvalid) || got != nil {
					t.Errorf("got %v, %v; want nil, %v", got, err, tc.want)
				}
			})
		}
	})
}

// TestRecordOfAnotherSession: a record whose payload names another
// session than its key, even sealed with the ring for that key, is
// refused: the token's session ID must be the payload's.
func TestRecordOfAnotherSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		s, c := saveNew(t, m)
		doc := f.document(t, s.ID())
		now := f.clock.Now().Unix()
		other := payload.Data{ID: "another-session", User: "admin", Created: now, Issued: now, IdleExpires: now + 3600, Expires: now + 3600}
		kid, cipher, err := f.keys.Primary(keyrotation.PurposeRecord)
		if err != nil {
			t.Fatal(err)
		}
		b, err := format.Begin(nil, 0, kid, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		doc.Data = format.Seal(other.Append(b), 0, cipher, string(doc.Key), nil)
		if ok, err := f.b.Update(ctx, doc, doc.Version); !ok || err != nil {
			t.Fatalf("replacing the data: %v, %v", ok, err)
		}
		if rec, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("record of another session: got %v, %v; want ErrInvalid", rec, err)
		}
	})
}

// TestCookieNames: Managers of two cookie names share one store; each
// token works under its own name only.
func TestCookieNames(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		app := f.manager(t, f.store, session.Options{Cookie: session.CookieOptions{Name: "app", AllowInsecureHTTP: true}})
		admin := f.manager(t, f.store, session.Options{Cookie: session.CookieOptions{Name: "admin", AllowInsecureHTTP: true}})
		s, c := saveNew(t, app)
		if _, got := testkit.Load(t, app, c); got.ID() != s.ID() {
			t.Errorf("token under its own cookie name: session %q, want %q", got.ID(), s.ID())
		}
		if _, err := f.store.Load(ctx, "admin", c.Value, f.clock.Now()); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("token of \"app\" under \"admin\": got %v, want ErrInvalid", err)
		}
		c.Name = "admin"
		if _, got := testkit.Load(t, admin, c); got.ID() == s.ID() {
			t.Error("the \"admin\" Manager loaded the session of an \"app\" token")
		}
	})
}

func TestEdDSATokensVerifyWithTheJWKS(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		store := f.newStore(t, f.open(t), serverstore.Options{SigningMethod: "EdDSA"})
		m := f.manager(t, store, session.Options{})
		s, c := saveNew(t, m)
		tok := c.Value
		if _, err := store.Load(ctx, m.CookieName(), tok, f.clock.Now()); err != nil {
			t.Fatalf("Load of an EdDSA token: %v", err)
		}
		// Another service verifies the token with the published key set only.
		rec := httptest.NewRecorder()
		f.keys.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		var set struct {
			Keys []struct{ Kty, Crv, X, Kid, Alg string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("JWKS: %s, %v", rec.Body, err)
		}
		if k := set.Keys[0]; k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != "EdDSA" || k.Kid != fmt.Sprint(f.keys.Keys()[0].ID) {
			t.Errorf("JWK: %+v", k)
		}
		pub, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.RegisteredClaims{}
		if _, err := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"})).ParseWithClaims(tok, &claims,
			func(*jwt.Token) (any, error) { return ed25519.PublicKey(pub), nil }); err != nil || claims.ID != s.ID() {
			t.Errorf("offline verification: %v, jti %q", err, claims.ID)
		}
		// An HS256 store rejects EdDSA tokens, and the reverse.
		if _, err := f.load(t, m, tok); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("EdDSA token at an HS256 store: got %v, want ErrInvalid", err)
		}
		r, hs := testkit.Load(t, f.manager(t, f.store, session.Options{}), nil)
		hs.Set("a", 1)
		hsTok := testkit.Save(t, f.manager(t, f.store, session.Options{}), r, hs).Value
		// Key confusion: HS256 keyed with the published public key, which
		// an attacker has, for the same session.
		confused := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			ID: s.ID(), Audience: jwt.ClaimStrings{m.CookieName()}, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		})
		confused.Header["kid"] = fmt.Sprint(f.keys.Keys()[0].ID)
		forged, err := confused.SignedString(pub)
		if err != nil {
			t.Fatal(err)
		}
		for name, bad := range map[string]string{"HS256 token of the HS256 store": hsTok, "HS256 keyed with the public key": forged} {
			if _, err := store.Load(ctx, m.CookieName(), bad, f.clock.Now()); !errors.Is(err, session.ErrInvalid) {
				t.Errorf("%s at an EdDSA store: got %v, want ErrInvalid", name, err)
			}
		}
		// A disabled key leaves the set.
		old := f.keys.Keys()[0].ID
		id := testkit.Rotate(t, f.keys)
		if err := f.keys.Disable(old); err != nil {
			t.Fatal(err)
		}
		rec = httptest.NewRecorder()
		f.keys.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
		if b := rec.Body.String(); strings.Contains(b, fmt.Sprint(old)) || !strings.Contains(b, fmt.Sprint(id)) {
			t.Errorf("JWKS after rotation: %s", b)
		}
	})
}
