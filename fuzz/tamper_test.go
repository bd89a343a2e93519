package fuzz

import (
	"context"
	"errors"
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// FuzzCookieTamper changes a valid token, byte by byte or by truncation and
// extension, and checks that every change is refused with ErrInvalid.
func FuzzCookieTamper(f *testing.F) {
	keys, err := keyrotation.Generate()
	if err != nil {
		f.Fatal(err)
	}
	store, err := cookiestore.New(keys, cookiestore.Options{})
	if err != nil {
		f.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		f.Fatal(err)
	}
	s := m.NewSession()
	s.SetUser("alice")
	if err := s.Set("cart", []string{"BOOK-0001", "MUG-0042"}); err != nil {
		f.Fatal(err)
	}
	token, err := store.Save(context.Background(), s)
	if err != nil {
		f.Fatal(err)
	}
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
		got, err := store.Load(context.Background(), tampered)
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
