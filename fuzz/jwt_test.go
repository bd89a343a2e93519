package fuzz

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/serverstore"
)

// FuzzReferenceToken feeds arbitrary reference tokens to the Load of a
// server store over MongoDB,
// of a store signing with HS256 (the default) and of one signing with
// EdDSA: algorithm confusion either way, "none", many dots, huge segments.
// It must never panic, and a store may return a session only for a token
// it issued.
func FuzzReferenceToken(f *testing.F) {
	keys := fixedKeys(f)
	db := mongotest.DB(f)
	type issuer struct {
		store  *serverstore.Store
		id     string // of the one session the store issued a token for
		issued string // the token it issued for that session
	}
	kid := strconv.FormatUint(uint64(keys.Keys()[0].ID), 10)
	mac, err := keys.MACKey(keyrotation.PurposeJWT, keys.Keys()[0].ID)
	if err != nil {
		f.Fatal(err)
	}
	priv, err := keys.Ed25519Key(keys.Keys()[0].ID)
	if err != nil {
		f.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	var issuers []issuer
	for _, method := range []string{"HS256", "EdDSA"} {
		b, err := mongostore.New(context.Background(), db.Collection("sessions_"+method))
		if err != nil {
			f.Fatal(err)
		}
		store, err := serverstore.New(keys, b, serverstore.Options{SigningMethod: method, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { store.Close() })
		m := fixedManager(f, store, defaultName)
		req := httptest.NewRequest("GET", "/", nil)
		s, err := m.Load(req)
		if err != nil {
			f.Fatal(err)
		}
		if err := s.Set("a", 1); err != nil {
			f.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := m.Save(rec, req, s); err != nil {
			f.Fatal(err)
		}
		valid := rec.Result().Cookies()[0].Value
		issuers = append(issuers, issuer{store, s.ID(), valid})
		f.Add(valid)
		f.Add(valid + "." + valid)
		// The forged tokens name the issued session, so that only the
		// signing-input check below, not the ID check, can catch them.
		claims := jwt.RegisteredClaims{ID: s.ID(), Audience: jwt.ClaimStrings{defaultName}, ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}
		// Algorithm confusion: "none", HS512 with the HS256 key, and
		// HS256 keyed with the Ed25519 public key, which anyone can fetch.
		for _, forge := range []struct {
			method jwt.SigningMethod
			key    any
		}{
			{jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType},
			{jwt.SigningMethodHS512, mac},
			{jwt.SigningMethodHS256, []byte(pub)},
		} {
			t := jwt.NewWithClaims(forge.method, claims)
			t.Header["kid"] = kid
			tok, err := t.SignedString(forge.key)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(tok)
		}
	}
	f.Add(strings.Repeat(".", 100))
	f.Add("eyJhbGciOiJIUzI1NiIsImtpZCI6IjEifQ." + strings.Repeat("A", 2000) + ".sig")
	f.Fuzz(func(t *testing.T, token string) {
		for _, is := range issuers {
			got, err := is.store.Load(context.Background(), defaultName, token, fixedNow())
			if err != nil {
				if !errors.Is(err, session.ErrInvalid) && !errors.Is(err, session.ErrExpired) {
					t.Fatalf("Load(%q): got %v, want ErrInvalid or ErrExpired", token, err)
				}
				continue
			}
			if h, err := payload.ReadHeader(got.Payload); err != nil || h.ID != is.id {
				t.Fatalf("Load accepted %q for a session the store never issued", token)
			}
			// Header and claims must be the ones the store signed: the ID
			// alone cannot tell a forgery that copies it (another alg, no
			// signature) from the token itself.
			if signingInput(token) != signingInput(is.issued) {
				t.Fatalf("Load accepted %q, whose header or claims differ from those of the token the store issued, %q", token, is.issued)
			}
		}
	})
}

// signingInput returns the part of a JWT that its signature covers:
// everything before the last '.'.
func signingInput(token string) string {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return token
	}
	return token[:i]
}
