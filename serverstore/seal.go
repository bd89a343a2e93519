package serverstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/recordkey"
	"github.com/sessionseal/session/keyrotation"
)

// A record's data is its session's payload sealed in the version-1 token
// layout with the ring's record subkey. The additional data binds the
// record's key in place of a cookie name, so data copied to another record
// (another session's, or a user's stamp) does not open there.

// seal returns plaintext sealed under the primary key, bound to key.
func (s *Store) seal(key, plaintext []byte) ([]byte, error) { return s.sealAs(key, plaintext, 0) }

// sealAs is seal with the given flags in the header: 0 for a session's
// payload, format.FlagReference for a device entry.
func (s *Store) sealAs(key, plaintext []byte, flags byte) ([]byte, error) {
	kid, c, err := s.keys.Primary(keyrotation.PurposeRecord)
	if err != nil {
		return nil, fmt.Errorf("serverstore: %w", err)
	}
	b, err := format.Begin(make([]byte, 0, len(plaintext)+format.Overhead), flags, kid, s.rand)
	if err != nil {
		return nil, fmt.Errorf("serverstore: reading nonce: %w", err)
	}
	return format.Seal(append(b, plaintext...), 0, c, string(key), make([]byte, 0, 64)), nil
}

// open authenticates and decrypts doc's data, in place, and returns the
// plaintext and the ID of the key that sealed it. A document that does not
// open was altered in the database, or moved there from another key: it is
// refused as session.ErrInvalid, never trusted.
func (s *Store) open(doc *Document) ([]byte, uint32, error) { return s.openAs(doc, 0) }

// openAs is open for data sealed with the given flags.
func (s *Store) openAs(doc *Document, flags byte) ([]byte, uint32, error) {
	plaintext, kid, err := format.OpenBytes(doc.Data, flags, string(doc.Key), s.keys, keyrotation.PurposeRecord, make([]byte, 0, 64))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", session.ErrInvalid, err)
	}
	return plaintext, kid, nil
}

// sealedBy returns the ID of the key that sealed data, without opening it,
// and false for data too short to say.
func sealedBy(data []byte) (uint32, bool) {
	if len(data) < format.HeaderSize {
		return 0, false
	}
	return binary.BigEndian.Uint32(data[2:format.HeaderSize]), true
}

// document returns the document of rec under key at version, saved at
// now, its payload sealed under the primary key. Its ExpiresAt is the
// idle deadline rounded up to expiryStep. It describes the client (a
// cleaning of the request's User-Agent and address) only when client is
// set: for an insert, and for an update that changes the user, the only
// writes that store it.
func (s *Store) document(rec *session.Record, key []byte, version int64, now time.Time, client bool) (*Document, error) {
	data, err := s.seal(key, rec.Payload)
	if err != nil {
		return nil, err
	}
	// The idle deadline rounded up to the step, within the absolute
	// deadline, which the Manager keeps at or after the idle one.
	step := expiryStep(rec)
	expires := ceil(rec.Idle, step)
	if expires.After(rec.Deadline) {
		expires = rec.Deadline
	}
	doc := &Document{Key: key, Data: data, Version: version, ExpiresAt: expires, Updated: now,
		UserChanged: rec.Changes.User}
	if client {
		doc.UserAgent, doc.IP = rec.Client()
	}
	if rec.User != "" {
		doc.User = recordkey.User(rec.User)
	}
	return doc, nil
}

// expiryStep returns the step in which a record's ExpiresAt and Updated
// move: a tenth of the session's idle timeout, what the Manager's default
// touch interval is, and at least a second.
func expiryStep(rec *session.Record) time.Duration {
	return max(rec.Idle.Sub(rec.Issued)/10, time.Second)
}

// ceil rounds t up to a multiple of step (counted from the zero time).
func ceil(t time.Time, step time.Duration) time.Time {
	c := t.Truncate(step)
	if c.Before(t) {
		c = c.Add(step)
	}
	return c
}
