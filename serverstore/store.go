package serverstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/observe"
	"github.com/sessionseal/session/internal/reftoken"
	"github.com/sessionseal/session/keyrotation"
)

// Defaults used by New for zero Options fields.
const (
	defaultTimeout         = 2 * time.Second
	defaultMaxAttempts     = 64
	defaultCleanupInterval = 10 * time.Minute
)

// Options configures a Store. The zero value is the secure choice; each
// field's comment says its default.
type Options struct {
	// Timeout bounds every backend call, on top of the caller's context.
	// Default 2 seconds.
	Timeout time.Duration

	// MaxAttempts bounds the conditional writes of one Save that loses to
	// concurrent saves of the same session; each loss re-reads the record
	// and re-applies what the request changed. Default 64. After the last, Save returns session.ErrConflict.
	MaxAttempts int

	// CleanupInterval is how often the store deletes expired records
	// itself when the backend does not (Backend.NativeExpiry). Default 10
	// minutes. Until then an expired record
	// stays, and the Manager refuses its session by its deadlines.
	CleanupInterval time.Duration

	// SigningMethod signs reference tokens: "HS256" (the default), with the
	// ring's JWT subkey, or "EdDSA", with the key's Ed25519 key, so that
	// other services can verify tokens offline with the public keys that
	// keyrotation.Keyring.JWKSHandler serves. Either way the keys rotate
	// with the ring. Load accepts only the configured method.
	SigningMethod string

	// Logger receives records that fail authentication and cleanup
	// errors. Default slog.Default().
	Logger *slog.Logger
}

// Store is a session.Store that keeps sessions as records in a Backend;
// the client holds a signed reference token (a JWT). It is safe for
// concurrent use. Close stops its background cleanup.
type Store struct {
	keys     *keyrotation.Keyring
	db       db
	tokens   *reftoken.Codec
	attempts int
	log      *slog.Logger
	rand     io.Reader // nonces
	// observer is the Manager's Observer, learned from its calls, for
	// the cleanup and the ring's reloads.
	observer observe.Latest

	// signals is nil unless the backend pushes stamp changes.
	signals *signals

	stop context.CancelFunc
	bg   sync.WaitGroup // the background loops
}

var (
	_ session.Store   = (*Store)(nil)
	_ session.Revoker = (*Store)(nil)
)

// New returns a Store that keeps sessions in b, sealing records and signing
// reference tokens with keys. When b does not expire records by itself, the
// store deletes expired ones every Options.CleanupInterval until Close.
func New(keys *keyrotation.Keyring, b Backend, opts Options) (*Store, error) {
	if keys == nil || b == nil {
		return nil, errors.New("serverstore: nil key ring or backend")
	}
	for _, d := range []time.Duration{opts.Timeout, opts.CleanupInterval} {
		if d < 0 {
			return nil, fmt.Errorf("serverstore: negative duration %v", d)
		}
	}
	if opts.MaxAttempts < 0 {
		return nil, fmt.Errorf("serverstore: negative MaxAttempts %d", opts.MaxAttempts)
	}
	if _, _, err := keys.Primary(keyrotation.PurposeRecord); err != nil {
		return nil, fmt.Errorf("serverstore: %w", err)
	}
	tokens, err := reftoken.New(keys, opts.SigningMethod)
	if err != nil {
		return nil, fmt.Errorf("serverstore: %v", err)
	}
	s := &Store{
		keys:     keys,
		db:       db{b: b, timeout: orDefault(opts.Timeout, defaultTimeout)},
		tokens:   tokens,
		attempts: opts.MaxAttempts,
		log:      opts.Logger,
		rand:     rand.Reader,
	}
	if s.attempts == 0 {
		s.attempts = defaultMaxAttempts
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	// Background work, not a request's: it ends with Close.
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if !b.NativeExpiry() {
		interval := orDefault(opts.CleanupInterval, defaultCleanupInterval)
		s.log.Info("serverstore: the backend does not expire records; deleting expired ones periodically", "interval", interval)
		s.bg.Go(func() { s.cleanup(ctx, interval) })
	}
	if w, ok := b.(stampWatcher); ok {
		s.signals = &signals{}
		s.bg.Go(func() { s.watch(ctx, w) })
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Close stops the cleanup loop and the watch of stamps, and waits for
// them. The backend stays open: it belongs to the caller.
func (s *Store) Close() error {
	s.stop()
	s.bg.Wait()
	return nil
}

// db calls the backend, each call bounded by timeout on top of the
// caller's context, and names what failed in its errors.
type db struct {
	b       Backend
	timeout time.Duration
}

// wrap returns err of a call that was doing what: ErrNotFound and
// ErrExists as they are, for callers to match, and otherwise prefixed,
// with a call that ran out of time marked as session.ErrStoreUnavailable.
func wrap(what string, err error) error {
	switch {
	case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrExists):
		return err
	case errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, session.ErrStoreUnavailable):
		return fmt.Errorf("serverstore: %s: %w: %v", what, session.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("serverstore: %s: %w", what, err)
}

func (d db) get(ctx context.Context, key []byte) (*Document, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	doc, err := d.b.Get(ctx, key)
	return doc, wrap("reading a session", err)
}

func (d db) insert(ctx context.Context, doc *Document) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	return wrap("inserting a session", d.b.Insert(ctx, doc))
}

func (d db) update(ctx context.Context, doc *Document, version int64) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	ok, err := d.b.Update(ctx, doc, version)
	return ok, wrap("updating a session", err)
}

func (d db) delete(ctx context.Context, key []byte, version int64) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	ok, err := d.b.Delete(ctx, key, version)
	return ok, wrap("deleting a session", err)
}

func (d db) listUser(ctx context.Context, user []byte) ([]Document, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	docs, err := d.b.ListUser(ctx, user)
	return docs, wrap("listing sessions", err)
}

func (d db) deleteUser(ctx context.Context, user []byte) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	n, err := d.b.DeleteUser(ctx, user)
	return n, wrap("revoking a user's sessions", err)
}

func (d db) scan(ctx context.Context, after []byte, limit int) ([]Document, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	docs, err := d.b.Scan(ctx, after, limit)
	return docs, wrap("listing sessions", err)
}

func (d db) count(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	n, err := d.b.Count(ctx)
	return n, wrap("counting sessions", err)
}

func (d db) getStamp(ctx context.Context, key []byte) (*Stamp, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	st, err := d.b.GetStamp(ctx, key)
	return st, wrap("reading a revocation", err)
}

func (d db) raiseStamp(ctx context.Context, key []byte, st *Stamp) (*Stamp, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	st, err := d.b.RaiseStamp(ctx, key, st)
	return st, wrap("recording a revocation", err)
}

func (d db) dropEnded(ctx context.Context, key []byte, handles []string) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	return wrap("pruning ended sessions", d.b.DropEnded(ctx, key, handles))
}

func (d db) deleteExpired(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	n, err := d.b.DeleteExpired(ctx, now)
	return n, wrap("deleting expired sessions", err)
}
