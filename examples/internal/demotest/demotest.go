// Package demotest holds the helpers that the examples' tests share.
package demotest

import (
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/sessionseal/session/keyrotation"
)

// Keys returns a new key ring.
func Keys(t testing.TB) *keyrotation.Keyring {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// Browser returns a client that keeps cookies like a browser.
func Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}
