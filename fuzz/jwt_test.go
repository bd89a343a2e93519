package fuzz

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/mongostore"
)

// FuzzReferenceToken feeds arbitrary reference tokens to mongostore.Load:
// algorithm confusion, "none", many dots, huge segments. It must never
// panic, and may return a session only for a token the store issued.
func FuzzReferenceToken(f *testing.F) {
	keys := fixedKeys(f)
	store, err := mongostore.New(context.Background(), mongotest.DB(f).Collection("sessions"), keys,
		mongostore.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		f.Fatal(err)
	}
	s := m.NewSession()
	s.Set("a", 1)
	valid, err := store.Save(context.Background(), s)
	if err != nil {
		f.Fatal(err)
	}
	key, err := keys.MACKey(keyrotation.PurposeJWT, keys.PrimaryID())
	if err != nil {
		f.Fatal(err)
	}
	claims := jwt.RegisteredClaims{ID: s.ID(), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString(key)
	f.Add(valid)
	f.Add(none)
	f.Add(hs512)
	f.Add(valid + "." + valid)
	f.Add(strings.Repeat(".", 100))
	f.Add("eyJhbGciOiJIUzI1NiIsImtpZCI6IjEifQ." + strings.Repeat("A", 2000) + ".sig")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := store.Load(context.Background(), token)
		if err != nil {
			if !errors.Is(err, session.ErrInvalid) && !errors.Is(err, session.ErrExpired) {
				t.Fatalf("Load(%q): got %v, want ErrInvalid or ErrExpired", token, err)
			}
			return
		}
		if got.ID() != s.ID() {
			t.Fatalf("Load accepted %q for a session the store never issued", token)
		}
	})
}
