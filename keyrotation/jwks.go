package keyrotation

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// Ed25519Key returns key id's Ed25519 private key, derived from its secret,
// for signing reference tokens with EdDSA so that other services can
// verify them with the public key alone (see JWKSHandler). Sign with the
// key of PrimaryID. It returns ErrUnknownKey when the ring has no such key
// or the key is disabled.
func (k *Keyring) Ed25519Key(id uint32) (ed25519.PrivateKey, error) {
	e := k.snap.Load().byID[id]
	if e == nil || e.state == Disabled {
		return nil, ErrUnknownKey
	}
	return e.m.ed, nil
}

// Ed25519PublicKey returns the public half of Ed25519Key(id), to verify
// tokens signed with it.
func (k *Keyring) Ed25519PublicKey(id uint32) (ed25519.PublicKey, error) {
	priv, err := k.Ed25519Key(id)
	if err != nil {
		return nil, err
	}
	return priv.Public().(ed25519.PublicKey), nil
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

// JWKS returns the Ed25519 public keys of the ring's primary and active
// keys as a JSON Web Key Set (RFC 7517): "kid" is the key ID in decimal, as
// in the header of the tokens they verify. Disabled keys are left out, so
// a verifier stops accepting what they signed.
func (k *Keyring) JWKS() ([]byte, error) {
	s := k.snap.Load()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, e := range s.keys {
		if e.state == Disabled {
			continue
		}
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP", Crv: "Ed25519", Use: "sig", Alg: "EdDSA",
			Kid: strconv.FormatUint(uint64(e.id), 10),
			X:   base64.RawURLEncoding.EncodeToString(e.m.ed.Public().(ed25519.PublicKey)),
		})
	}
	return json.Marshal(set)
}

// JWKSHandler serves JWKS, following the ring as it rotates, for services
// that verify reference tokens offline. Only public keys are served.
// Responses may be cached for a minute: publish a new key (Add) at least
// that long before promoting it.
func (k *Keyring) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := k.JWKS()
		if err != nil {
			http.Error(w, "cannot encode the key set", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write(b)
	})
}
