package keyrotation

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"
)

// Purpose selects the subkey a Cipher uses. Each key in a ring has one
// subkey per purpose, so a value sealed for one purpose never opens under
// another.
type Purpose uint8

// The purposes. The zero Purpose is invalid.
const (
	PurposeCookie Purpose = iota + 1 // sealing whole sessions into cookies
	PurposeRecord                    // sealing session records stored on a server
	PurposeJWT                       // signing reference tokens
)

// numPurposes is the number of valid purposes, PurposeCookie..PurposeJWT.
const numPurposes = 3

// label returns "cookie", "record" or "jwt" for a valid p. These names are
// part of the subkey derivation (see "File format" in the package
// documentation) and never change.
func (p Purpose) label() string {
	return [...]string{PurposeCookie: "cookie", PurposeRecord: "record", PurposeJWT: "jwt"}[p]
}

func (p Purpose) valid() bool { return p >= PurposeCookie && p <= PurposeJWT }

// Cipher is the AES-256-GCM of one key for one purpose, with a 96-bit
// (12-byte) nonce and a 128-bit (16-byte) tag. It is safe for concurrent
// use.
//
// A Cipher stays usable after its key changes state or leaves the ring, so
// look one up with Keyring.Primary or Keyring.Cipher for each value rather
// than keeping it.
type Cipher struct {
	aead  cipher.AEAD
	seals *atomic.Uint64 // shared by every purpose of the key, and across snapshots
}

// subkeyLabel starts the HKDF info of every subkey. It is versioned with the
// derivation: changing it, or anything else in deriveCipher, makes every
// sealed value unreadable.
const subkeyLabel = "sessionseal/v1 "

// deriveCipher derives the subkey of secret for purpose p and key id, and
// builds its AES-256-GCM. The derivation is part of the format:
//
//	subkey = HKDF-SHA256(secret, salt = nil,
//	                     info = "sessionseal/v1 " || p.label() || " " || uint32 BE id,
//	                     length = 32)
//
// Binding the key ID as well as the purpose means that two ring entries
// holding the same secret (a file edited by hand) still get distinct
// subkeys.
func deriveCipher(secret *[secretSize]byte, id uint32, p Purpose, seals *atomic.Uint64) (*Cipher, error) {
	var kid [4]byte
	binary.BigEndian.PutUint32(kid[:], id)
	info := subkeyLabel + p.label() + " " + string(kid[:])
	subkey, err := hkdf.Key(sha256.New, secret[:], nil, info, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(subkey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead, seals: seals}, nil
}

// deriveMACKey derives the HMAC subkey of secret for purpose p and key id:
//
//	mackey = HKDF-SHA256(secret, salt = nil,
//	                     info = "sessionseal/v1 " || p.label() || " hmac " || uint32 BE id,
//	                     length = 32)
func deriveMACKey(secret *[secretSize]byte, id uint32, p Purpose) ([]byte, error) {
	var kid [4]byte
	binary.BigEndian.PutUint32(kid[:], id)
	return hkdf.Key(sha256.New, secret[:], nil, subkeyLabel+p.label()+" hmac "+string(kid[:]), 32)
}

// deriveEd25519 derives the Ed25519 signing key of secret and key id from
// a 32-byte seed:
//
//	seed = HKDF-SHA256(secret, salt = nil,
//	                   info = "sessionseal/v1 jwt ed25519 " || uint32 BE id,
//	                   length = 32)
func deriveEd25519(secret *[secretSize]byte, id uint32) (ed25519.PrivateKey, error) {
	var kid [4]byte
	binary.BigEndian.PutUint32(kid[:], id)
	seed, err := hkdf.Key(sha256.New, secret[:], nil, subkeyLabel+"jwt ed25519 "+string(kid[:]), ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Seal encrypts and authenticates plaintext and additionalData, appends the
// result to dst and returns it, with the contract of cipher.AEAD.Seal: the
// nonce must never repeat under this key, to encrypt in place pass
// plaintext[:0] as dst, and a nonce that is not 12 bytes panics. What Seal
// appends is 16 bytes (the tag) longer than plaintext.
//
// Use a fresh random nonce from crypto/rand for every call. NIST SP 800-38D
// bounds random 96-bit nonces to 2^32 invocations per key, beyond which a
// repeated nonce (which reveals the XOR of two plaintexts and lets an
// attacker forge tags) becomes too likely. Every Seal adds one to the key's
// count, reported by Keyring.Keys as KeyInfo.Seals; rotating to a new key
// well before the bound is the operator's job. The count covers this
// process only, so sum it across the fleet.
func (c *Cipher) Seal(dst, nonce, plaintext, additionalData []byte) []byte {
	c.seals.Add(1)
	return c.aead.Seal(dst, nonce, plaintext, additionalData)
}

// Open authenticates and decrypts ciphertext and additionalData, appends
// the plaintext to dst and returns it, with the contract of
// cipher.AEAD.Open: to decrypt in place pass ciphertext[:0] as dst, on
// error the contents of dst up to its capacity are undefined, and a nonce
// that is not 12 bytes panics. Every failure is one opaque error, whatever
// was wrong.
func (c *Cipher) Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error) {
	return c.aead.Open(dst, nonce, ciphertext, additionalData)
}
