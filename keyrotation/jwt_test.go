package keyrotation_test

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessionseal/session/keyrotation"
)

// A caller that wipes the Ed25519 keys it was given, as careful code does,
// must not wipe the ring's: the ring handed out its own slice once, and a
// clear() of it made the JWKS publish the all-zero (small-order) public key,
// under which forged EdDSA signatures verify.
func TestEd25519KeyWipedByCallerKeepsRingKey(t *testing.T) {
	ring, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	id := ring.Keys()[0].ID
	wantJWKS := jwks(t, ring)
	priv, err := ring.Ed25519Key(id)
	if err != nil {
		t.Fatal(err)
	}
	wantPub := bytes.Clone(priv.Public().(ed25519.PublicKey))
	clear(priv)

	if got := jwks(t, ring); !bytes.Equal(got, wantJWKS) {
		t.Errorf("JWKS after the caller wiped its key = %s; want %s", got, wantJWKS)
	}
	again, err := ring.Ed25519Key(id)
	if err != nil {
		t.Fatal(err)
	}
	if gotPub := again.Public().(ed25519.PublicKey); !bytes.Equal(gotPub, wantPub) {
		t.Fatalf("public key after the caller wiped its key = %x; want %x", gotPub, wantPub)
	}
	msg := []byte("header.claims")
	if !ed25519.Verify(wantPub, msg, ed25519.Sign(again, msg)) {
		t.Error("the ring no longer signs under its public key after a caller wiped its copy")
	}
}

// jwks returns the key set that ring's JWKSHandler serves.
func jwks(t *testing.T, ring *keyrotation.Keyring) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	ring.JWKSHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("JWKSHandler: status %d, %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}
