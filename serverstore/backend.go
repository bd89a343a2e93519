package serverstore

import (
	"context"
	"errors"
	"time"
)

// Backend is the set of database operations the engine calls: this is the
// place to add a database. A backend stores two kinds of entries, session
// documents and revocation stamps, each under a key of its own (32 bytes;
// the two kinds never share one), and knows nothing of sessions, tokens,
// keys or clocks: every value it handles is given to it.
//
// The contract, which storetest.RunBackend checks:
//
//   - Reads are point lookups by key (Get, GetStamp); only ListUser and
//     DeleteUser select by another field, and only Scan, Count and
//     DeleteExpired walk the whole store.
//   - Insert, Update and Delete are each atomic. Update and Delete with a
//     version change a document only if its stored Version equals that
//     version at the moment of the change, even while other processes or
//     goroutines update the same key: the engine's concurrent saves rely on
//     it to lose nothing. Of concurrent Inserts of one key, exactly one
//     succeeds.
//   - Stamps only move forward: RaiseStamp keeps, for each time, the later
//     of the stored one and the given one, atomically.
//   - A backend copies what it keeps, and returns values the engine may
//     modify.
//   - An error that means the database could not be reached or did not
//     answer in time matches session.ErrStoreUnavailable, so that the
//     Manager answers 503 and the client keeps its cookie. ErrNotFound and
//     ErrExists are returned as themselves (or wrapped).
//
// Every method must honour ctx; the engine bounds each call by
// Options.Timeout. Implementations must be safe for concurrent use.
//
// # Pushing stamp changes
//
// A backend whose database can tell every process at once that a stamp
// changed (Redis pub/sub: redisstore) may also have the method
//
//	WatchStamps(ctx context.Context, changed func(key []byte)) error
//
// This optional part of the contract lets caches of stamps (package
// hybrid's) drop a stamp as soon as any process raises it, instead of
// when their lifetime ends: "log out everywhere" then reaches every server
// in about a network round trip. WatchStamps subscribes, calls changed
// with nil once the subscription is in place (and again whenever it is
// made again, after a loss in which changes may have gone unseen), then
// calls changed with the key of every stamp that RaiseStamp, in any
// process, changed, until ctx ends or the subscription fails; it returns
// the error then. The engine calls it from New until Close, again after a
// pause when it fails, and takes every stamp as changed meanwhile. A
// changed key that is not a stamp's costs only a few needless reads.
// Backends that cannot push leave the method out, and caches keep a stamp
// for their lifetime (hybrid.Options.RevocationCacheTTL, one minute).
// storetest.RunBackend checks the method of a backend that has it.
type Backend interface {
	// Get returns the document under key, or ErrNotFound.
	Get(ctx context.Context, key []byte) (*Document, error)

	// Insert stores doc under doc.Key, or returns ErrExists when a
	// document has that key.
	Insert(ctx context.Context, doc *Document) error

	// Update writes doc into the document under doc.Key if the stored
	// Version is version, and reports whether it did; a missing document
	// is not updated. It writes Data and Version; it raises ExpiresAt and
	// Updated to doc's when they are later, and never moves them back;
	// it writes User, UserAgent and IP only when doc.UserChanged (nil and
	// "" then clear them); it keeps Created and From. Fields a save does
	// not change are left alone, so that most updates write no indexed
	// field.
	Update(ctx context.Context, doc *Document, version int64) (bool, error)

	// Delete deletes the document under key if its Version is version,
	// or whatever its version when version is 0, and reports whether it
	// deleted one.
	Delete(ctx context.Context, key []byte, version int64) (bool, error)

	// ListUser returns the documents whose User is user, in any order.
	ListUser(ctx context.Context, user []byte) ([]Document, error)

	// DeleteUser deletes the documents whose User is user and returns
	// how many there were.
	DeleteUser(ctx context.Context, user []byte) (int64, error)

	// Scan returns up to limit documents whose keys sort after after
	// (bytewise; nil: from the first), in key order, for Rewrap, which
	// pages through the store with it. Stamps are not documents.
	Scan(ctx context.Context, after []byte, limit int) ([]Document, error)

	// Count returns the number of documents, stamps excluded.
	Count(ctx context.Context) (int64, error)

	// GetStamp returns the stamp under key, or ErrNotFound.
	GetStamp(ctx context.Context, key []byte) (*Stamp, error)

	// RaiseStamp merges st into the stamp under key, creating it, and
	// returns the stamp as it is afterwards. Each time of the stored
	// stamp (NotBefore, ExpiresAt, each Ended entry) becomes the later of
	// the stored one and st's; a zero time in st changes nothing.
	RaiseStamp(ctx context.Context, key []byte, st *Stamp) (*Stamp, error)

	// DropEnded removes the named entries from the Ended of the stamp
	// under key. A missing stamp or entry is no error.
	DropEnded(ctx context.Context, key []byte, handles []string) error

	// DeleteExpired deletes the documents and stamps whose ExpiresAt is
	// not after now and returns how many.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)

	// NativeExpiry reports whether the database deletes expired
	// documents and stamps by itself (a TTL index). When it does not, the
	// engine calls DeleteExpired every Options.CleanupInterval.
	NativeExpiry() bool
}

// Document is the stored record of one session, or the device entry of a
// session that lives in its cookie (see Store.CookieSaved), which a backend
// stores like any other document.
type Document struct {
	Key     []byte    // recordkey.Session of the session ID: a dump holds no live token
	Data    []byte    // the session's payload, sealed; the additional data binds Key
	User    []byte    // recordkey.User of the session's user, nil without one
	Version int64     // changed by every write; random for a new document
	Created time.Time // when the session started; set by Insert, kept by Update

	// ExpiresAt is when the document may go: at or after the session's
	// idle deadline, which Data holds to the second. The engine moves it
	// in steps of a tenth of the idle timeout, so that a session saved on
	// every request has it written once a step, not on every save; a
	// session is refused by the deadlines in Data, not by ExpiresAt.
	ExpiresAt time.Time

	// Updated is when the document was saved: exactly by Insert, to the
	// same step as ExpiresAt by Update. Listings read the exact time of
	// the last save from Data.
	Updated time.Time

	// From is, for a session that moved here from its cookie, when that
	// cookie was issued; zero otherwise. Set by Insert, kept by Update.
	From time.Time

	// UserAgent and IP describe the client that saved the session when
	// its user last changed (a login), for listings; "" when unknown.
	UserAgent, IP string

	// UserChanged tells Update to write User, UserAgent and IP: the
	// session's user changed on this save. Insert writes them always.
	UserChanged bool
}

// Stamp is a user's revocation stamp, for stores that cannot delete every
// token of a session (package hybrid's cookies).
type Stamp struct {
	// NotBefore refuses the user's sessions started before it. Zero when
	// the user was never revoked.
	NotBefore time.Time
	// Ended names the sessions of the user ended one by one, by handle
	// (base64url, which a backend may use as a field name), each with the
	// time until which tokens of it could be live.
	Ended map[string]time.Time
	// ExpiresAt is when the stamp may be deleted: it no longer refuses
	// anything that could be live.
	ExpiresAt time.Time
	// Changed, in a stamp that Store.Stamp returns, is closed once the
	// stamp may have changed, for caches to drop it at once; nil when the
	// backend does not push stamp changes. Backends leave it nil.
	Changed <-chan struct{}
}

// Errors of a Backend.
var (
	// ErrNotFound reports a key under which nothing is stored.
	ErrNotFound = errors.New("serverstore: not found")
	// ErrExists reports an Insert under a key already taken.
	ErrExists = errors.New("serverstore: key exists")
)
