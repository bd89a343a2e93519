package keyrotation_test

import (
	"bytes"
	"crypto/ed25519"
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
	wantJWKS, err := ring.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ring.Ed25519Key(id)
	if err != nil {
		t.Fatal(err)
	}
	wantPub := bytes.Clone(priv.Public().(ed25519.PublicKey))
	pub, err := ring.Ed25519PublicKey(id)
	if err != nil {
		t.Fatal(err)
	}
	clear(priv)
	clear(pub)

	if got, err := ring.JWKS(); err != nil || !bytes.Equal(got, wantJWKS) {
		t.Errorf("JWKS after the caller wiped its keys = %s, %v; want %s", got, err, wantJWKS)
	}
	gotPub, err := ring.Ed25519PublicKey(id)
	if err != nil || !bytes.Equal(gotPub, wantPub) {
		t.Fatalf("Ed25519PublicKey after the caller wiped its keys = %x, %v; want %x", gotPub, err, wantPub)
	}
	again, err := ring.Ed25519Key(id)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("header.claims")
	if !ed25519.Verify(wantPub, msg, ed25519.Sign(again, msg)) {
		t.Error("the ring no longer signs under its public key after a caller wiped its copy")
	}
}
