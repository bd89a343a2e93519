package keyrotation

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// Ed25519Key returns a copy of key id's Ed25519 private key, derived from
// its secret, for signing reference tokens with EdDSA so that other services
// can verify them with the public key alone (see JWKSHandler); its Public
// method gives that key. The caller owns the copy and may wipe it. Sign with
// the primary key (see Primary). It returns ErrUnknownKey when the ring has
// no such key or the key is disabled.
//
// It refuses, with an error, a key whose public half is of small order, such
// as the all-zero key, under which forged signatures verify with high
// probability. A key derived by the ring never has small order (a nonzero
// clamped scalar times the base point has prime order), so the check guards
// only against a ring whose memory was overwritten; JWKSHandler makes it
// too.
func (k *Keyring) Ed25519Key(id uint32) (ed25519.PrivateKey, error) {
	priv, err := k.ed25519Key(id)
	if err != nil {
		return nil, err
	}
	return slices.Clone(priv), nil
}

// ed25519Key returns the ring's own Ed25519 private key of key id, not to
// be handed out, if the key opens values and its public key is not of small
// order.
func (k *Keyring) ed25519Key(id uint32) (ed25519.PrivateKey, error) {
	e := k.snap.Load().byID[id]
	if e == nil || e.state == Disabled {
		return nil, ErrUnknownKey
	}
	if smallOrder(ed25519Public(e.m.ed)) {
		return nil, smallOrderError(id)
	}
	return e.m.ed, nil
}

// ed25519Public returns the public half of priv, sharing its bytes: the
// second half of the key as crypto/ed25519 lays it out.
func ed25519Public(priv ed25519.PrivateKey) []byte { return priv[ed25519.SeedSize:] }

func smallOrderError(id uint32) error {
	return fmt.Errorf("keyrotation: key %d: ed25519 public key of small order", id)
}

// smallOrderY lists the y coordinates of the eight points of edwards25519
// whose order divides 8, as 32-byte little-endian integers without the sign
// bit of x: 0 (two points of order 4), 1 (the identity), two values for the
// four points of order 8, p-1 (order 2), and p and p+1, the non-canonical
// encodings of 0 and 1 that common decoders, Go's among them, accept. It is
// libsodium's blocklist for crypto_sign_ed25519 and is checked against the
// curve's arithmetic in the tests.
var smallOrderY = [...][ed25519.PublicKeySize]byte{
	{},
	{0x01},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}

// smallOrder reports whether pub, an encoded Ed25519 public key, is a point
// of small order, whatever the sign bit. crypto/ed25519 has no such check,
// and decoding the point needs a package outside the standard library;
// comparing encodings is exact because the small-order points are few.
func smallOrder(pub []byte) bool {
	var y [ed25519.PublicKeySize]byte
	if copy(y[:], pub) != len(y) {
		return true
	}
	y[len(y)-1] &= 0x7f
	for _, s := range smallOrderY {
		if y == s {
			return true
		}
	}
	return false
}

// jwk is one key of a JSON Web Key Set: an Ed25519 public key (RFC 8037).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// jwks returns the Ed25519 public keys of the ring's primary and active
// keys as a JSON Web Key Set (RFC 7517), or an error if one is of small
// order (see Ed25519Key).
func (k *Keyring) jwks() ([]byte, error) {
	s := k.snap.Load()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, e := range s.keys {
		if e.state == Disabled {
			continue
		}
		pub := ed25519Public(e.m.ed)
		if smallOrder(pub) {
			return nil, smallOrderError(e.id)
		}
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP", Crv: "Ed25519", Use: "sig", Alg: "EdDSA",
			Kid: strconv.FormatUint(uint64(e.id), 10),
			X:   base64.RawURLEncoding.EncodeToString(pub),
		})
	}
	return json.Marshal(set)
}

// JWKSHandler serves the Ed25519 public keys of the ring's primary and
// active keys as a JSON Web Key Set (RFC 7517), following the ring as it
// rotates, for services that verify reference tokens offline: "kid" is the
// key ID in decimal, as in the header of the tokens they verify. Disabled
// keys are left out, so a verifier stops accepting what they signed. Only
// public keys are served, and none if one of them is of small order (see
// Ed25519Key): the response is then an error 500. Responses may be cached
// for a minute: publish a new key (Add) at least that long before promoting
// it.
func (k *Keyring) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := k.jwks()
		if err != nil {
			http.Error(w, "cannot encode the key set", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write(b)
	})
}

// MACKey returns a copy of key id's 32-byte HMAC-SHA256 subkey for p, to
// sign and verify tokens such as JWTs. It is derived apart from the key's
// cipher subkey for p, so that one secret never serves two algorithms. It
// returns ErrUnknownKey when the ring has no such key or the key is
// disabled. Sign with the primary key (see Primary).
func (k *Keyring) MACKey(p Purpose, id uint32) ([]byte, error) {
	if !p.valid() {
		return nil, errInvalidPurpose
	}
	e := k.snap.Load().byID[id]
	if e == nil || e.state == Disabled {
		return nil, ErrUnknownKey
	}
	return slices.Clone(e.m.macs[p-1]), nil
}
