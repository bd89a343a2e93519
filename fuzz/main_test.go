package fuzz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/keyrotation"
)

// TestMain lets FuzzReferenceToken start a MongoDB server; the other
// targets never ask for one.
func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }

// fixedKeys loads the key ring in testdata/keys.json, a ring made for these
// targets and nothing else. Every run uses the same keys, and the sealing
// targets the same clock (fixedNow), so that a crash written to
// testdata/fuzz replays the same way in every later run: with fresh keys, a
// token in it would just be foreign.
func fixedKeys(f testing.TB) *keyrotation.Keyring {
	f.Helper()
	keys, err := keyrotation.LoadFile(filepath.Join("testdata", "keys.json"))
	if err != nil {
		f.Fatal(err)
	}
	return keys
}

// fixedStore returns a cookie store for cookie name (the default name when
// "") that seals under fixedKeys at fixedNow.
func fixedStore(f *testing.F, name string) *cookiestore.Store {
	f.Helper()
	store, err := cookiestore.New(fixedKeys(f), cookiestore.Options{CookieName: name, Now: fixedNow})
	if err != nil {
		f.Fatal(err)
	}
	return store
}

// readToken returns the token kept in file, a path under testdata/tokens.
func readToken(f *testing.F, file string) string {
	f.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// fixedNow is the clock of the targets that seal cookies: the tokens in
// testdata/tokens/sealed-*.txt were sealed at this time under fixedKeys,
// and stay valid under it.
func fixedNow() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) }
