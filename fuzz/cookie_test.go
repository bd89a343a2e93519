package fuzz

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionseal/session"
)

// FuzzCookieLoad feeds arbitrary tokens to cookiestore.Load and, as a
// cookie, to Manager.Load, which decodes what the store opened and checks
// its deadlines. Neither may panic; the store must refuse with ErrInvalid,
// and may accept only a token sealed under its keys: the seeds include real
// tokens (testdata/tokens/sealed-*.txt), so the fuzzer mutates authentic
// ones. The Manager must give a session whatever the token.
func FuzzCookieLoad(f *testing.F) {
	store := fixedStore(f)
	m := fixedManager(f, store, defaultName)
	// The seeds are files: sealed-*.txt, sealed once under these keys at
	// fixedNow, and others sealed by other keys and names. Tokens sealed
	// here would differ in every fuzzing worker (random nonces), and one
	// worker would count another's as foreign.
	sealed := map[string]bool{}
	files, err := filepath.Glob(filepath.Join("testdata", "tokens", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no seed tokens in testdata/tokens")
	}
	for _, file := range files {
		tok := readToken(f, file)
		if strings.HasPrefix(filepath.Base(file), "sealed-") {
			sealed[tok] = true
		}
		f.Add(tok)
	}
	if len(sealed) == 0 {
		f.Fatal("no sealed-*.txt seed tokens in testdata/tokens")
	}
	f.Fuzz(func(t *testing.T, token string) {
		s, err := loadCookie(t, m, defaultName, token)
		if err != nil || s == nil {
			t.Fatalf("Manager.Load: %v", err)
		}
		s.Keys()
		s.IdleDeadline()
		r, err := store.Load(context.Background(), defaultName, token, fixedNow())
		if err != nil {
			if !errors.Is(err, session.ErrInvalid) {
				t.Fatalf("Load: got %v, want ErrInvalid", err)
			}
			if r != nil {
				t.Fatal("Load returned a record with an error")
			}
			return
		}
		if !sealed[token] {
			t.Fatalf("Load accepted a token the store never sealed: %q", token)
		}
	})
}
