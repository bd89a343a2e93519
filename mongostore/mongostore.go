package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/recordkey"
	"github.com/sessionseal/session/keyrotation"
)

// Defaults used by New for zero Options fields.
const (
	DefaultTimeout         = 2 * time.Second
	DefaultCleanupInterval = 10 * time.Minute
	DefaultMaxAttempts     = 64
	DefaultLeeway          = 30 * time.Second
)

// maxTokenLen bounds the reference tokens Load parses; the store's own are
// under 200 bytes.
const maxTokenLen = 1024

// Options configures a Store. The zero value is the secure choice; each
// field's comment says its default.
type Options struct {
	// Timeout bounds every database call after New, on top of the
	// caller's context. Default DefaultTimeout (2 seconds).
	Timeout time.Duration

	// CleanupInterval is how often the store deletes expired records itself
	// when the server refuses TTL indexes (FerretDB does). Default
	// DefaultCleanupInterval (10 minutes). Reads ignore expired records
	// whatever the interval.
	CleanupInterval time.Duration

	// MaxAttempts bounds the conditional writes of one Save that loses to
	// concurrent saves of the same session; each loss re-reads the record
	// and re-applies the keys the request changed. Default
	// DefaultMaxAttempts (64). After the last, Save returns
	// session.ErrConflict.
	MaxAttempts int

	// Leeway is the clock skew allowed when checking reference tokens'
	// times across servers. Default DefaultLeeway (30 seconds). The record's
	// own expiry is checked against the database without leeway.
	Leeway time.Duration

	// SigningMethod signs reference tokens: "HS256" (the default), with the
	// ring's JWT subkey, or "EdDSA", with the key's Ed25519 key, so that
	// other services can verify tokens offline with the public keys that
	// keyrotation.Keyring.JWKSHandler serves. Either way the keys rotate
	// with the ring. Load accepts only the configured method.
	SigningMethod string

	// Logger receives records that fail authentication and cleanup errors.
	// Default slog.Default().
	Logger *slog.Logger

	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// Store keeps sessions as documents in a MongoDB collection; the client
// holds a signed reference token (a JWT). It is safe for concurrent use.
// Close stops its background cleanup.
type Store struct {
	coll     *mongo.Collection
	keys     *keyrotation.Keyring
	timeout  time.Duration
	attempts int
	method   jwt.SigningMethod
	leeway   time.Duration

	aud       atomic.Pointer[audience]
	configure sync.Mutex // serialises Configure
	log       *slog.Logger
	now       func() time.Time
	rand      io.Reader

	saving turns // of each record's saves from this process

	ttl       bool // the server expires records itself
	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ session.Store      = (*Store)(nil)
	_ session.Configurer = (*Store)(nil)
)

// record is the document of one session.
type record struct {
	ID        []byte    `bson:"_id"`            // SHA-256 of the session ID
	Data      []byte    `bson:"data"`           // the session's payload, sealed; the AAD binds ID
	User      []byte    `bson:"user,omitempty"` // SHA-256 of the user ID, when set
	ExpiresAt time.Time `bson:"expiresAt"`
	Version   int64     `bson:"version"`
	Created   time.Time `bson:"created"`
	Updated   time.Time `bson:"updated"`
	Device    *device   `bson:"device,omitempty"`
	// From is the session's base when the record was inserted
	// (session.Session.BaseIssuedAt): for a session moving from its
	// cookie, when that cookie was issued. See insert.
	From time.Time `bson:"from,omitempty"`
}

// device is the client of a record's last save, as session.ClientInfo
// gives it: the client chooses it, so ClientInfo bounds it (a user agent of
// at most session.MaxUserAgentLen bytes, a canonical IP) before any store
// keeps it for the session's lifetime.
type device struct {
	UserAgent string `bson:"userAgent,omitempty"`
	IP        string `bson:"ip,omitempty"`
}

// New returns a Store on coll that seals records and signs reference tokens
// with keys. It ensures the indexes: a TTL index on expiresAt and an index
// on user, within ctx and a deadline of a minute (or Options.Timeout if
// longer), since a first build on a large collection takes longer than a
// request should. When the server refuses TTL indexes, the store deletes expired
// records itself every Options.CleanupInterval until Close.
func New(ctx context.Context, coll *mongo.Collection, keys *keyrotation.Keyring, opts Options) (*Store, error) {
	if coll == nil || keys == nil {
		return nil, errors.New("mongostore: nil collection or key ring")
	}
	for _, d := range []time.Duration{opts.Timeout, opts.CleanupInterval, opts.Leeway} {
		if d < 0 {
			return nil, fmt.Errorf("mongostore: negative duration %v", d)
		}
	}
	if opts.MaxAttempts < 0 {
		return nil, fmt.Errorf("mongostore: negative MaxAttempts %d", opts.MaxAttempts)
	}
	s := &Store{
		coll: coll, keys: keys,
		timeout:  orDefault(opts.Timeout, DefaultTimeout),
		attempts: opts.MaxAttempts,
		leeway:   orDefault(opts.Leeway, DefaultLeeway),
		log:      opts.Logger,
		now:      opts.Now,
		rand:     rand.Reader,
	}
	if s.attempts == 0 {
		s.attempts = DefaultMaxAttempts
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch opts.SigningMethod {
	case "", "HS256":
		s.method = jwt.SigningMethodHS256
	case "EdDSA":
		s.method = jwt.SigningMethodEdDSA
	default:
		return nil, fmt.Errorf("mongostore: unknown SigningMethod %q: want HS256 or EdDSA", opts.SigningMethod)
	}
	s.aud.Store(s.bind(session.DefaultCookieName, false))
	if err := s.ensureIndexes(ctx); err != nil {
		return nil, err
	}
	cctx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	if s.ttl {
		close(s.done)
	} else {
		go s.cleanup(cctx, orDefault(opts.CleanupInterval, DefaultCleanupInterval))
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// indexTimeout bounds New's index builds.
const indexTimeout = time.Minute

func (s *Store) ensureIndexes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(indexTimeout, s.timeout))
	defer cancel()
	_, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "user", Value: 1}},
	})
	if err != nil {
		return fmt.Errorf("mongostore: creating the user index: %w", classify(err))
	}
	_, err = s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expiresAt", Value: 1}},
		Options: options.Index().SetExpireAfterSeconds(0),
	})
	var ce mongo.CommandError
	switch {
	case err == nil:
		s.ttl = true
	case errors.As(err, &ce) && !unreachable(err):
		// FerretDB answers NotImplemented (238); any refusal of the TTL
		// option leaves expiry to the cleanup loop.
		s.log.InfoContext(ctx, "mongostore: server refused a TTL index; deleting expired sessions periodically", "code", ce.Code)
	default:
		return fmt.Errorf("mongostore: creating the expiry index: %w", classify(err))
	}
	return nil
}

// cleanup deletes expired records every interval until ctx ends.
func (s *Store) cleanup(ctx context.Context, interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "mongostore: deleting expired sessions", "err", err)
			}
		}
	}
}

// DeleteExpired deletes the records past their expiry and returns how many.
// The cleanup loop calls it; call it yourself to run cleanup on a schedule
// of your own.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.coll.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: s.now()}}}})
	if err != nil {
		return 0, fmt.Errorf("mongostore: %w", classify(err))
	}
	return res.DeletedCount, nil
}

// Close stops the cleanup loop and waits for it. The collection's client
// stays open: it belongs to the caller.
func (s *Store) Close() error {
	s.closeOnce.Do(s.stop)
	<-s.done
	return nil
}

// Load verifies the reference token and reads the session's record. A
// token that is malformed, forged, signed with an unknown key or for a
// session whose record is gone (expired, destroyed, revoked) returns
// session.ErrInvalid; an authentic token past its expiry returns
// session.ErrExpired. A record that fails authentication is refused and
// logged. An unreachable server returns session.ErrStoreUnavailable.
func (s *Store) Load(ctx context.Context, token string) (*session.Session, error) {
	id, kid, err := s.parseToken(token)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sess, sealedBy, err := s.find(ctx, recordkey.Session(id))
	if err != nil {
		return nil, err
	}
	if sess.ID() != id {
		return nil, session.ErrInvalid
	}
	if primary := s.keys.PrimaryID(); kid != primary || sealedBy != primary {
		// Re-seal the record and re-sign the token under the primary on
		// this response. Either can lag the other: Rewrap re-seals
		// records, and the token stays until its next save.
		sess.Touch()
	}
	return sess, nil
}

// find reads and opens the live record under key, and returns the ID of
// the key that sealed it.
func (s *Store) find(ctx context.Context, key []byte) (*session.Session, uint32, error) {
	var doc record
	err := s.coll.FindOne(ctx, bson.D{
		{Key: "_id", Value: key},
		{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: s.now()}}},
	}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, 0, errNoRecord
	}
	if err != nil {
		return nil, 0, fmt.Errorf("mongostore: reading a session: %w", classify(err))
	}
	plaintext, c, err := format.OpenBytes(doc.Data, 0, string(key), s.keys, keyrotation.PurposeRecord, make([]byte, 0, 64))
	if err != nil {
		s.log.WarnContext(ctx, "mongostore: session record failed authentication", "reason", err)
		return nil, 0, session.ErrInvalid
	}
	sess, err := session.Restore(plaintext, session.ModeServer)
	if err != nil {
		return nil, 0, err
	}
	sess.SetRevision(doc.Version)
	return sess, c.ID(), nil
}

var errNoRecord = fmt.Errorf("%w: no live session record", session.ErrInvalid)

// Save writes the session's record and returns a fresh reference token: an
// insert for a new or renewed session, otherwise an update conditioned on
// the version it was loaded at. When another request saved the session
// first, Save re-reads the record, re-applies only what this request
// changed (session.Session.Rebase) and tries again, up to
// Options.MaxAttempts times. After Renew it deletes the record under the
// previous ID.
func (s *Store) Save(ctx context.Context, sess *session.Session) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	now := s.now()
	id, prev := sess.ID(), sess.PreviousID()
	key := recordkey.Session(id)
	var dev *device
	if ci, ok := session.ClientInfoFrom(ctx); ok {
		dev = &device{UserAgent: ci.UserAgent, IP: ci.IP}
	}
	if rev := sess.Revision(); rev == 0 || prev != "" {
		inserted, err := s.insert(ctx, sess, key, now, dev)
		if err != nil {
			return "", err
		}
		if inserted {
			if prev != "" && rev != 0 {
				if err := s.retire(ctx, sess, recordkey.Session(prev), rev, key, now, dev); err != nil {
					return "", err
				}
			}
			return s.token(sess)
		}
		// Merged into a concurrent request's record: update it below.
	}
	// Saves of one session from this process take turns, so that the
	// conditional update below never races another from here. Across
	// processes the update alone decides, which needs a server that applies
	// it atomically (see the package documentation).
	defer s.saving.take(key)()
	for attempt := 1; ; attempt++ {
		rev := sess.Revision()
		matched, err := s.update(ctx, key, sess, rev, now, dev)
		if err != nil {
			return "", err
		}
		if matched {
			sess.SetRevision(rev + 1)
			return s.token(sess)
		}
		if attempt >= s.attempts {
			return "", fmt.Errorf("mongostore: %d attempts: %w", attempt, session.ErrConflict)
		}
		if err := s.rebase(ctx, key, sess); err != nil {
			return "", err
		}
		if err := backoff(ctx, attempt); err != nil {
			return "", fmt.Errorf("mongostore: %w: %v", session.ErrConflict, err)
		}
	}
}

// insert writes sess as a new record under key and reports whether it did.
// A record can already be there only for a session moving from its cookie,
// which keeps its ID; the record's From says which cookie that move started
// from. If it is the cookie sess was loaded from, or a later one (see
// session.Session.BaseIssuedAt), another request moved the same session
// first (two requests that both outgrew the cookie): insert merges that
// record into sess, like any concurrent save, and reports false for Save to
// update it. If it started from an earlier cookie, or has expired, it is
// left over from a move whose token the client never kept, and the cookie
// has moved on since: insert deletes it and tries again, giving up with
// session.ErrConflict after Options.MaxAttempts+1 inserts. Both times are the cookies' own issue times,
// in whole seconds, so servers' clocks need not agree, but a record left
// over from a cookie issued in the same second as this one is merged.
func (s *Store) insert(ctx context.Context, sess *session.Session, key []byte, now time.Time, dev *device) (bool, error) {
	first := firstVersion()
	doc, err := s.seal(sess, key, first, now, dev)
	if err != nil {
		return false, err
	}
	doc.Created, doc.From = sess.CreatedAt(), sess.BaseIssuedAt()
	for range s.attempts + 1 {
		_, err := s.coll.InsertOne(ctx, doc)
		switch {
		case err == nil:
			sess.SetRevision(first)
			return true, nil
		case sess.PreviousID() != "" || !mongo.IsDuplicateKeyError(err):
			return false, fmt.Errorf("mongostore: inserting a session: %w", classify(err))
		}
		var found record
		err = s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}},
			options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}, {Key: "from", Value: 1},
				{Key: "updated", Value: 1}, {Key: "expiresAt", Value: 1}})).Decode(&found)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			continue // deleted meanwhile
		case err != nil:
			return false, fmt.Errorf("mongostore: reading a session: %w", classify(err))
		}
		if found.From.IsZero() {
			// Written without the field (by an older release, or for a
			// new session): its last write is the best guess, on its
			// server's clock.
			found.From = found.Updated
		}
		if found.ExpiresAt.After(now) && !found.From.Before(doc.From) {
			return false, s.rebase(ctx, key, sess)
		}
		if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "version", Value: found.Version}}); err != nil {
			return false, fmt.Errorf("mongostore: deleting a stale session record: %w", classify(err))
		}
	}
	return false, fmt.Errorf("mongostore: %d inserts after replacing stale records: %w", s.attempts+1, session.ErrConflict)
}

// update writes sess into the live record under key at version rev+1, if
// the record is at version rev, and reports whether it was.
func (s *Store) update(ctx context.Context, key []byte, sess *session.Session, rev int64, now time.Time, dev *device) (bool, error) {
	doc, err := s.seal(sess, key, rev+1, now, dev)
	if err != nil {
		return false, err
	}
	set := bson.D{
		{Key: "data", Value: doc.Data},
		{Key: "expiresAt", Value: doc.ExpiresAt},
		{Key: "version", Value: doc.Version},
		{Key: "updated", Value: doc.Updated},
	}
	if dev != nil {
		set = append(set, bson.E{Key: "device", Value: dev})
	}
	var update bson.D
	if doc.User != nil {
		update = bson.D{{Key: "$set", Value: append(set, bson.E{Key: "user", Value: doc.User})}}
	} else {
		update = bson.D{{Key: "$set", Value: set}, {Key: "$unset", Value: bson.D{{Key: "user", Value: ""}}}}
	}
	filter := bson.D{{Key: "_id", Value: key}, {Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: now}}}, {Key: "version", Value: rev}}
	res, err := s.coll.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, fmt.Errorf("mongostore: updating a session: %w", classify(err))
	}
	return res.MatchedCount == 1, nil
}

// firstVersion returns the version of a new record: random, so that a
// record deleted and made again under the same _id (a session that moved
// to the cookie and back) never takes a version that a request still
// holding the old record could match.
func firstVersion() int64 { return 1 + mrand.Int64N(1<<62) }

// retire deletes the record under prevKey, at version rev, of a session
// renewed and saved under key at sess's revision. It deletes the old record
// only if no other request saved it since sess was loaded; if one did, it
// merges that save into sess and the new record, and tries again. If the
// old record is gone, a concurrent request ended the session (Destroy,
// Revoke, RevokeUser): the new record is deleted too, so that the renewal
// cannot bring the session back, and the error matches
// session.ErrConflict.
func (s *Store) retire(ctx context.Context, sess *session.Session, prevKey []byte, rev int64, key []byte, now time.Time, dev *device) (err error) {
	version := sess.Revision()
	defer func() {
		sess.SetRevision(version)
		if err != nil {
			// No token names the new record yet. The request's context
			// may be what failed; if this delete fails too, the record
			// only waits for its expiry.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
			defer cancel()
			_, _ = s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}})
		}
	}()
	defer s.saving.take(prevKey)()
	for attempt := 1; ; attempt++ {
		res, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: prevKey}, {Key: "version", Value: rev}})
		if err != nil {
			return fmt.Errorf("mongostore: deleting the renewed session's old record: %w", classify(err))
		}
		if res.DeletedCount == 1 {
			return nil
		}
		if attempt >= s.attempts {
			return fmt.Errorf("mongostore: %d attempts: %w", attempt, session.ErrConflict)
		}
		if err := s.rebase(ctx, prevKey, sess); err != nil {
			return err
		}
		rev = sess.Revision()
		// No token names the new record yet, but RevokeUser may have
		// deleted it.
		matched, err := s.update(ctx, key, sess, version, now, dev)
		if err != nil {
			return err
		}
		if !matched {
			return errEnded
		}
		version++
	}
}

// rebase re-reads the record under key, which another request saved, and
// merges it into sess (see session.Session.Rebase). A record that is gone
// was destroyed, renewed or revoked by that request: sess's changes cannot
// be saved, and the error is errEnded rather than creating the record
// again, which would undo a revocation.
func (s *Store) rebase(ctx context.Context, key []byte, sess *session.Session) error {
	latest, _, err := s.find(ctx, key)
	if errors.Is(err, errNoRecord) {
		return errEnded
	}
	if err != nil {
		return fmt.Errorf("mongostore: session changed concurrently and cannot be re-read: %w", err)
	}
	sess.Rebase(latest)
	return nil
}

// errEnded is the error of a save that finds its session ended by another
// request.
var errEnded = fmt.Errorf("mongostore: %w: the session was ended by a concurrent request", session.ErrConflict)

// backoff waits a random time that grows with attempt, so that requests
// racing on one session spread out instead of colliding again.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(mrand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// seal builds the document of sess at version, its payload sealed with the
// primary record key and bound to key.
func (s *Store) seal(sess *session.Session, key []byte, version int64, now time.Time, dev *device) (*record, error) {
	c, err := s.keys.Primary(keyrotation.PurposeRecord)
	if err != nil {
		return nil, fmt.Errorf("mongostore: %w", err)
	}
	b, err := format.Begin(nil, 0, c.ID(), s.rand)
	if err != nil {
		return nil, fmt.Errorf("mongostore: reading nonce: %w", err)
	}
	b, _ = sess.AppendBinary(b)
	b = format.Seal(b, 0, c, string(key), make([]byte, 0, 64))
	doc := &record{ID: key, Data: b, ExpiresAt: sess.ExpiresAt(), Version: version, Created: now, Updated: now, Device: dev}
	if u := sess.User(); u != "" {
		doc.User = recordkey.User(u)
	}
	return doc, nil
}

// Delete removes the session's record, and the record of its previous ID
// after Renew. A session that Destroy ended while it had a user (see
// session.Session.EndedUser) is also recorded as ended in the user's
// revocation stamp, so that the tokens it had before it moved here, or
// copies of its cookie, are refused as well (see package hybrid).
func (s *Store) Delete(ctx context.Context, sess *session.Session) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ids := bson.A{recordkey.Session(sess.ID())}
	if prev := sess.PreviousID(); prev != "" && prev != sess.ID() {
		ids = append(ids, recordkey.Session(prev))
	}
	if _, err := s.coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}); err != nil {
		return fmt.Errorf("mongostore: deleting a session: %w", classify(err))
	}
	// Only the session Destroy ended: one that a change after Destroy
	// started under a new ID lives on.
	if user, prev := sess.EndedUser(), sess.PreviousID(); user != "" && prev != "" {
		return s.endSessions(ctx, user, sess.Deadline(), recordkey.Handle(prev))
	}
	return nil
}

// DeleteIfUnchanged deletes the session's record (under its previous ID
// after Renew), as Delete does, but only if no other request has saved it
// since sess was loaded or last saved; sess then has revision 0, that of a
// session without a record. If one has, it rebases sess onto the
// newer record (see session.Session.Rebase) and returns false, so that the
// caller can decide again where to save the merged session; if the record
// is gone, ended by another request, the error matches
// session.ErrConflict. The hybrid store calls it when a session moves back
// to the cookie, so that a concurrent save is never lost and a revoked
// session never escapes to a cookie.
func (s *Store) DeleteIfUnchanged(ctx context.Context, sess *session.Session) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	id := sess.ID()
	if prev := sess.PreviousID(); prev != "" {
		id = prev
	}
	key := recordkey.Session(id)
	// The same turn-taking as Save: see there.
	defer s.saving.take(key)()
	res, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "version", Value: sess.Revision()}})
	if err != nil {
		return false, fmt.Errorf("mongostore: deleting a session: %w", classify(err))
	}
	if res.DeletedCount == 1 {
		sess.SetRevision(0) // no record now
		return true, nil
	}
	return false, s.rebase(ctx, key, sess)
}

// Revoke deletes the session with the given ID: its token stops working on
// the next request.
func (s *Store) Revoke(ctx context.Context, sessionID string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: recordkey.Session(sessionID)}}); err != nil {
		return fmt.Errorf("mongostore: revoking a session: %w", classify(err))
	}
	return nil
}

// RevokeUser deletes every session of the user and returns how many there
// were: "log out everywhere".
func (s *Store) RevokeUser(ctx context.Context, userID string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.coll.DeleteMany(ctx, bson.D{{Key: "user", Value: recordkey.User(userID)}})
	if err != nil {
		return 0, fmt.Errorf("mongostore: revoking a user's sessions: %w", classify(err))
	}
	return res.DeletedCount, nil
}

// Info describes one live session, for "your active sessions" pages.
type Info struct {
	Handle    string    // names the session without revealing its ID; see Handle and RevokeHandle
	Created   time.Time // when the session was created
	LastSeen  time.Time // when it was last saved
	ExpiresAt time.Time // when it expires unless used again
	UserAgent string    // the User-Agent of the request that last saved it
	IP        string    // the client address of that request
}

// Sessions lists the user's live sessions, most recently used first.
func (s *Store) Sessions(ctx context.Context, userID string) ([]Info, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cur, err := s.coll.Find(ctx, bson.D{
		{Key: "user", Value: recordkey.User(userID)},
		{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: s.now()}}},
	}, options.Find().SetProjection(bson.D{{Key: "data", Value: 0}}).SetSort(bson.D{{Key: "updated", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("mongostore: listing sessions: %w", classify(err))
	}
	var docs []record
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("mongostore: listing sessions: %w", classify(err))
	}
	infos := make([]Info, len(docs))
	for i, d := range docs {
		infos[i] = Info{Handle: recordkey.EncodeHandle(d.ID), Created: d.Created,
			LastSeen: d.Updated, ExpiresAt: d.ExpiresAt}
		if d.Device != nil {
			infos[i].UserAgent, infos[i].IP = d.Device.UserAgent, d.Device.IP
		}
	}
	return infos, nil
}

// Handle returns the handle that Info reports for the session with the
// given ID, to mark the current session in a listing.
func Handle(sessionID string) string { return recordkey.Handle(sessionID) }

// RevokeHandle deletes the session that a listing of userID's sessions
// named by handle, and records it as ended in the user's revocation stamp
// until the record would have expired, so that the cookie tokens it had
// before it moved here are refused too (see package hybrid). It deletes
// nothing of another user's. A malformed handle is an error matching
// session.ErrInvalid.
func (s *Store) RevokeHandle(ctx context.Context, userID, handle string) error {
	key, ok := recordkey.DecodeHandle(handle)
	if !ok {
		return fmt.Errorf("%w: malformed session handle", session.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var doc record
	err := s.coll.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: key}, {Key: "user", Value: recordkey.User(userID)}}).Decode(&doc)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return nil
	case err != nil:
		return fmt.Errorf("mongostore: revoking a session: %w", classify(err))
	}
	// Every token of the session expires by the record's expiry: the
	// cookie tokens from before the move were issued earlier, and their
	// idle deadlines were no later.
	return s.endSessions(ctx, userID, doc.ExpiresAt, handle)
}

// classify marks errors that mean the server could not be reached as
// session.ErrStoreUnavailable, so that the Manager answers 503.
func classify(err error) error {
	if unreachable(err) {
		return fmt.Errorf("%w: %v", session.ErrStoreUnavailable, err)
	}
	return err
}

// unreachable reports whether err means the server could not be reached.
// A connection the server closed comes back as a mongo.CommandError that is
// also a network error, so this is checked before any CommandError.
func unreachable(err error) bool {
	var sse topology.ServerSelectionError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &sse) ||
		errors.Is(err, mongo.ErrClientDisconnected) || errors.Is(err, context.DeadlineExceeded)
}

// Rewrap re-seals under the ring's primary key every live session record sealed
// under another key, and returns how many it re-sealed. Run it after a
// promotion, so that the stored records stop depending on the old key at once
// rather than as their sessions are used. It does not touch the reference
// tokens clients hold: Load re-signs each under the primary key on the client's
// next request, and disabling the old key refuses those not re-signed yet, as
// it refuses cookies the old key sealed. Each update is conditioned on the
// record's version, so a concurrent save (which re-seals under the primary
// anyway) wins. Rewrap skips records already under the primary key, so a second
// run, or one resumed after an interruption, does only what is left. Records
// that fail authentication are left alone and logged. progress, when not nil,
// is called after each record with the number seen and the number there were at
// the start.
func (s *Store) Rewrap(ctx context.Context, progress func(done, total int64)) (int64, error) {
	live := bson.D{
		{Key: "data", Value: bson.D{{Key: "$exists", Value: true}}},
		{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: s.now()}}},
	}
	// Every command gets the store's deadline; ctx bounds the whole run.
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	total, err := s.coll.CountDocuments(cctx, live)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("mongostore: counting sessions: %w", classify(err))
	}
	cctx, cancel = context.WithTimeout(ctx, s.timeout)
	cur, err := s.coll.Find(cctx, live, options.Find().SetProjection(bson.D{
		{Key: "data", Value: 1}, {Key: "version", Value: 1},
	}))
	cancel()
	if err != nil {
		return 0, fmt.Errorf("mongostore: listing sessions: %w", classify(err))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		cur.Close(cctx)
	}()
	next := func() bool {
		cctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		return cur.Next(cctx)
	}
	var done, rewrapped int64
	for next() {
		var doc record
		if err := cur.Decode(&doc); err != nil {
			return rewrapped, fmt.Errorf("mongostore: decoding a session: %w", err)
		}
		done++
		ok, err := s.rewrap(ctx, &doc)
		if err != nil {
			return rewrapped, err
		}
		if ok {
			rewrapped++
		}
		if progress != nil {
			progress(done, total)
		}
	}
	if err := cur.Err(); err != nil {
		return rewrapped, fmt.Errorf("mongostore: listing sessions: %w", classify(err))
	}
	return rewrapped, nil
}

// rewrap re-seals one record under the primary key, reporting whether it
// did.
func (s *Store) rewrap(ctx context.Context, doc *record) (bool, error) {
	c, err := s.keys.Primary(keyrotation.PurposeRecord)
	if err != nil {
		return false, fmt.Errorf("mongostore: %w", err)
	}
	if len(doc.Data) >= format.HeaderSize && binary.BigEndian.Uint32(doc.Data[2:format.HeaderSize]) == c.ID() {
		return false, nil
	}
	plaintext, _, err := format.OpenBytes(doc.Data, 0, string(doc.ID), s.keys, keyrotation.PurposeRecord, make([]byte, 0, 64))
	if err != nil {
		s.log.WarnContext(ctx, "mongostore: rewrap skipped a record that does not open", "reason", err)
		return false, nil
	}
	b, err := format.Begin(make([]byte, 0, len(plaintext)+format.Overhead), 0, c.ID(), s.rand)
	if err != nil {
		return false, fmt.Errorf("mongostore: reading nonce: %w", err)
	}
	b = format.Seal(append(b, plaintext...), 0, c, string(doc.ID), make([]byte, 0, 64))
	uctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := s.coll.UpdateOne(uctx, bson.D{{Key: "_id", Value: doc.ID}, {Key: "version", Value: doc.Version}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "data", Value: b}, {Key: "version", Value: doc.Version + 1}}}})
	if err != nil {
		return false, fmt.Errorf("mongostore: re-sealing a session: %w", classify(err))
	}
	return res.MatchedCount == 1, nil
}
