// Package recordkey derives the keys under which server stores keep a
// session's record, its user and the user's revocation stamp. Each is a
// SHA-256 hash with a label of its own, so that a dump of the database holds
// no usable session ID and the three kinds of key never collide.
package recordkey

import (
	"crypto/sha256"
	"encoding/base64"
)

// Session returns the key of the record of the session with the given ID.
func Session(id string) []byte { return sum("sessionseal session id\x00", id) }

// User returns the key that marks the records of a user. It is a plain
// hash, so that revoking a user needs no key: an attacker with a dump can
// still test guesses of a user ID, so prefer opaque user IDs to e-mail
// addresses.
func User(id string) []byte { return sum("sessionseal user id\x00", id) }

// Stamp returns the key of a user's revocation stamp.
func Stamp(userID string) []byte { return sum("sessionseal not before\x00", userID) }

// Handle names a session in listings of a user's sessions without revealing
// its ID: its record key in base64url.
func Handle(sessionID string) string { return EncodeHandle(Session(sessionID)) }

// EncodeHandle returns the handle of a record key.
func EncodeHandle(key []byte) string { return base64.RawURLEncoding.EncodeToString(key) }

// DecodeHandle returns the record key a handle names, or false for a
// malformed handle.
func DecodeHandle(handle string) ([]byte, bool) {
	key, err := base64.RawURLEncoding.DecodeString(handle)
	return key, err == nil && len(key) == sha256.Size
}

func sum(label, id string) []byte {
	h := sha256.Sum256([]byte(label + id))
	return h[:]
}
