package fuzz

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sessionseal/session"
)

// FuzzCookieTamper changes a valid token, byte by byte or by truncation and
// extension, and checks that every change is refused with ErrInvalid.
func FuzzCookieTamper(f *testing.F) {
	store := fixedStore(f)
	// A token sealed under the fixed keys, so that every run tampers with
	// the same bytes.
	token := readToken(f, filepath.Join("testdata", "tokens", "sealed-cart.txt"))
	f.Add(0, byte(1), 0)
	f.Add(len(token)-1, byte('A'), 0)
	f.Add(17, byte(0x80), -3)
	f.Add(30, byte(0), 5)
	f.Fuzz(func(t *testing.T, pos int, xor byte, resize int) {
		b := []byte(token)
		if len(b) > 0 {
			i := pos % len(b)
			if i < 0 {
				i = -i
			}
			b[i] ^= xor
		}
		switch {
		case resize < 0 && -resize < len(b):
			b = b[:len(b)+resize]
		case resize > 0:
			b = append(b, make([]byte, resize%64)...)
		}
		tampered := string(b)
		got, err := store.Load(context.Background(), defaultName, tampered, fixedNow())
		if tampered == token {
			if err != nil {
				t.Fatalf("the untouched token: %v", err)
			}
			return
		}
		if !errors.Is(err, session.ErrInvalid) || got != nil {
			t.Fatalf("changed token %q: got %v, %v; want ErrInvalid", tampered, got, err)
		}
	})
}
