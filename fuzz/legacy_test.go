package fuzz

import (
	"context"
	"encoding/gob"
	"errors"
	"testing"

	"github.com/gorilla/securecookie"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/gorillacompat"
)

// FuzzLegacyCookie feeds arbitrary cookies to the gorilla/sessions
// migration path. It must never panic; it may accept only a cookie the
// legacy codec made (or one of ours), and a refusal is ErrInvalid or
// ErrExpired.
func FuzzLegacyCookie(f *testing.F) {
	inner := fixedStore(f)
	// MaxAge(0) turns off securecookie's 30-day expiry, so that a crash
	// kept in testdata/fuzz still reaches the conversion years later.
	legacy := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")).MaxAge(0)
	jsonLegacy := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), nil).SetSerializer(securecookie.JSONEncoder{}).MaxAge(0)
	store := gorillacompat.Migrate(inner, gorillacompat.MigrateOptions{OnConversionError: func(context.Context, error) {}},
		legacy, jsonLegacy)
	// gorilla/sessions registers what its flashes need; applications
	// register their own types the same way.
	gob.Register([]any{})
	for _, v := range []any{
		map[any]any{"user": "ada", "n": 42, "_flash": []any{"hi"}},
		map[any]any{42: "non-string key"},
	} {
		tok, err := legacy.Encode("legacy", v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	tok, err := jsonLegacy.Encode("legacy", map[string]any{"user": "bob"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("MTcwMDAwMDAwMHxhYmN8ZGVm")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		r, err := store.Load(context.Background(), "legacy", token, fixedNow())
		if err != nil {
			if !errors.Is(err, session.ErrInvalid) && !errors.Is(err, session.ErrExpired) {
				t.Fatalf("Load: got %v, want ErrInvalid or ErrExpired", err)
			}
			return
		}
		// Fuzzing workers make their own seed cookies (random IVs), so what
		// counts is whether a legacy codec itself authenticates the cookie;
		// with MaxAge(0) it does so for every cookie it made.
		var gobValues map[any]any
		var jsonValues map[string]any
		if legacy.Decode("legacy", token, &gobValues) != nil && jsonLegacy.Decode("legacy", token, &jsonValues) != nil {
			t.Fatalf("the migration accepted a cookie no codec authenticates: %q", token)
		}
		if r == nil || len(r.Payload) == 0 {
			t.Fatal("Load returned no record")
		}
	})
}
