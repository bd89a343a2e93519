package session

import (
	"context"
	"time"
)

// Store persists sessions. A token is what the client holds: for a cookie
// store the sealed session itself, for a server store a signed reference to
// a record. The boundary runs one way: the Manager turns a Session into a
// Record and back, and a store sees only Records, never a Session or an
// http.Request.
//
// Every method gets the cookie's name, which a store binds into every token
// it issues and requires of every token it opens, so that a token cannot
// move to another cookie, and now, the Manager's clock: stores keep no
// setting of their own that could disagree with the Manager's.
//
// Load returns the record a token stands for. A token that is malformed,
// tampered with, sealed for another cookie name or under an unknown key, or
// for a record that no longer exists returns an error matching ErrInvalid.
// Any other error, such as ErrStoreUnavailable, means the store could not
// tell, and the Manager fails the request rather than start an empty
// session that would overwrite the client's data. A store does not check
// the session's deadlines: the Manager does, once, against its options.
//
// Save persists r and returns the token to send to the client. It is called
// only for sessions that changed or are due a refresh. When r.PreviousID is
// set, a server store also deletes the record under that ID. A session that
// cannot be stored returns an error, ErrTooLarge when it does not fit a
// cookie; the client then keeps its old token. Save updates r.Mode and
// r.Revision, and r.Payload when it merged concurrent changes.
//
// Delete removes whatever the store keeps for r, under r.ID and
// r.PreviousID. A store that keeps nothing returns nil.
//
// Every method must honour the cancellation and deadline of ctx.
// Implementations must be safe for concurrent use.
type Store interface {
	Load(ctx context.Context, name, token string, now time.Time) (*Record, error)
	Save(ctx context.Context, name string, r *Record, now time.Time) (token string, err error)
	Delete(ctx context.Context, r *Record, now time.Time) error
}

// Record is a session as a store sees it: its encoded payload, which holds
// everything, and the facts a store needs without decoding it.
//
// On Save and Delete the Manager fills every field, and on Save tells
// Client who saves. On Load a store returns Payload, Mode, Revision, Reseal
// and Converted, and may leave the rest zero: the Manager decodes the
// payload.
type Record struct {
	ID        string    // the session's ID: 128 random bits in base64url
	User      string    // the user it belongs to, or ""
	Revocable bool      // it must live where the server can delete it
	Started   time.Time // the start of its absolute lifetime: creation, or the last login
	Issued    time.Time // when this copy was saved
	Idle      time.Time // its idle deadline
	Deadline  time.Time // the end of its absolute lifetime

	// Payload is the session's encoding, which a store keeps as it is.
	Payload []byte

	// Mode is where the session lives, as loaded or saved.
	Mode Mode

	// Revision is a server store's version of the record: what it was
	// loaded at, and after Save what it was saved at. Zero when no record
	// holds the session.
	Revision int64

	// Reseal, set by Load, asks for a save even if nothing changed: the
	// token or record is sealed under a key that is no longer primary.
	Reseal bool

	// Converted, set by Load, marks a session the store made from
	// something other than a saved session (a legacy cookie it converts):
	// the Manager ignores the payload's times, starts the session's
	// lifetime at the request, and saves it on the response.
	Converted bool

	// Merged, set by Save, reports that Payload now also holds what
	// concurrent saves of the session changed.
	Merged bool

	// PreviousID is the ID whose record a server store deletes: the
	// session's ID before Renew or Destroy.
	PreviousID string

	// EndedUser is the user of a session that Destroy ended, and
	// PreviousID its ID: a store that refuses ended sessions' tokens
	// records it (see package hybrid).
	EndedUser string

	// Base is when the copy of the session that was loaded was issued, zero
	// for a new session. A server store compares it with the one it
	// recorded on a record it finds under the session's ID, to tell a
	// concurrent save from one left over from a response the client never
	// kept.
	Base time.Time

	// Changes is what the request changed since the session was loaded,
	// which a server store re-applies when it merges concurrent saves.
	Changes Changes

	// userAgent and remoteAddr are the request's, as it sent them, for
	// Client.
	userAgent, remoteAddr string
}

// Changes says what one request changed in a session since it was loaded.
type Changes struct {
	Set, Deleted []string // keys set and deleted, sorted

	// The metadata changed: the user, the revocable and persistent flags,
	// the flashes, the session's own timeouts (Session.SetLifetime).
	User, Revocable, Persistent, Flashes, Lifetime bool
}

// Revoker is implemented by stores that can end every session of a user
// (package hybrid, and server stores): Manager.RevokeUser calls it. The
// store refuses the user's sessions started before notBefore, in whatever
// form it can know of, keeping what it records for keep, and returns how
// many server records it deleted.
type Revoker interface {
	RevokeUser(ctx context.Context, userID string, notBefore time.Time, keep time.Duration) (int64, error)
}
