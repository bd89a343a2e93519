package fuzz

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// FuzzCookieLoad feeds arbitrary tokens to cookiestore.Load. It must never
// panic, must refuse with ErrInvalid or ErrExpired, and may accept only a
// token the store sealed itself: the seeds include real tokens, so the
// fuzzer mutates authentic ones.
func FuzzCookieLoad(f *testing.F) {
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
	sealed := map[string]bool{}
	for i, values := range []map[string]any{
		{},
		{"user_id": "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L", "cart": []int{1, 2, 3}},
		{"big": strings.Repeat("x", 2000), "n": 42, "nested": map[string]any{"a": []any{1, "b", nil}}},
	} {
		s := m.NewSession()
		for k, v := range values {
			if err := s.Set(k, v); err != nil {
				f.Fatal(err)
			}
		}
		if i == 1 {
			s.AddFlash("hello")
			s.SetUser("alice")
		}
		tok, err := store.Save(context.Background(), s)
		if err != nil {
			f.Fatal(err)
		}
		sealed[tok] = true
		f.Add(tok)
	}
	// Tokens sealed by other keys and names, kept as files.
	files, err := filepath.Glob(filepath.Join("testdata", "tokens", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no seed tokens in testdata/tokens")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.TrimSpace(string(b)))
	}
	f.Fuzz(func(t *testing.T, token string) {
		s, err := store.Load(context.Background(), token)
		if err != nil {
			if !errors.Is(err, session.ErrInvalid) && !errors.Is(err, session.ErrExpired) {
				t.Fatalf("Load: got %v, want ErrInvalid or ErrExpired", err)
			}
			if s != nil {
				t.Fatal("Load returned a session with an error")
			}
			return
		}
		if !sealed[token] {
			t.Fatalf("Load accepted a token the store never sealed: %q", token)
		}
		s.Keys()
		s.ExpiresAt()
	})
}
