package fuzz

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
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

// fixedStore returns a cookie store that seals under fixedKeys.
func fixedStore(f *testing.F) *cookiestore.Store {
	f.Helper()
	store, err := cookiestore.New(fixedKeys(f))
	if err != nil {
		f.Fatal(err)
	}
	return store
}

// fixedManager returns a Manager over store, for the cookie name, on the
// clock fixedNow, that logs nothing.
func fixedManager(f *testing.F, store session.Store, name string) *session.Manager {
	f.Helper()
	m, err := session.NewManager(store, session.Options{Now: fixedNow, Logger: slog.New(slog.DiscardHandler),
		Cookie: session.CookieOptions{Name: name}})
	if err != nil {
		f.Fatal(err)
	}
	return m
}

// loadCookie loads the session of a request carrying the cookie name=token
// through m, as the middleware would.
func loadCookie(t *testing.T, m *session.Manager, name, token string) (*session.Session, error) {
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", name+"="+token)
	return m.Load(req)
}

// defaultName is the cookie name of the targets: the Manager's default,
// for which the seed tokens were sealed.
const defaultName = "__Host-session"

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
