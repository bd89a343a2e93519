package fuzz

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionseal/session"
)

// FuzzCookieLoad feeds arbitrary tokens to cookiestore.Load. It must never
// panic, must refuse with ErrInvalid or ErrExpired, and may accept only a
// token sealed under its keys: the seeds include real tokens
// (testdata/tokens/sealed-*.txt), so the fuzzer mutates authentic ones.
func FuzzCookieLoad(f *testing.F) {
	store := fixedStore(f, "")
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
