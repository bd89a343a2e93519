package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/serverstore"
)

// DefaultPrefix is the Options.Prefix of a zero Options.
const DefaultPrefix = "sessionseal:"

// Options configures the backend New returns. The zero value is the default
// choice; each field's comment says its default.
type Options struct {
	// Prefix starts the name of every key the backend writes. Default
	// DefaultPrefix, "sessionseal:". Give each store that shares a Redis
	// server or cluster a prefix of its own, none the start of another's:
	// Scan, Count and DeleteExpired take every key under the prefix for
	// theirs. A prefix may not contain "{" or "}", which would change the
	// hash slots the backend relies on in a cluster (see the package
	// documentation).
	Prefix string
}

// backend keeps session records, user indexes and revocation stamps as
// Redis hashes and sorted sets. It is safe for concurrent use.
type backend struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient // nil on a single server
	prefix  string
}

var _ serverstore.Backend = (*backend)(nil)

// New returns a backend that keeps sessions in the Redis server or cluster
// that client reaches: a *redis.Client or a *redis.ClusterClient (what
// redis.NewUniversalClient returns for one address or several), with
// ContextTimeoutEnabled set, so that the request's context and the store's
// timeout bound every command. New sends no command; the client stays the
// caller's to close.
func New(client redis.UniversalClient, opts Options) (serverstore.Backend, error) {
	b := &backend{client: client, prefix: opts.Prefix}
	if b.prefix == "" {
		b.prefix = DefaultPrefix
	}
	if strings.ContainsAny(b.prefix, "{}") {
		return nil, errors.New("redisstore: the prefix contains a brace, which would move keys between hash slots")
	}
	var timeouts bool
	switch c := client.(type) {
	case *redis.Client:
		if c == nil {
			return nil, errNilClient
		}
		timeouts = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		if c == nil {
			return nil, errNilClient
		}
		timeouts = c.Options().ContextTimeoutEnabled
		b.cluster = c
	case nil:
		return nil, errNilClient
	default:
		return nil, fmt.Errorf("redisstore: unsupported client %T: use a *redis.Client or a *redis.ClusterClient", client)
	}
	if !timeouts {
		return nil, errors.New("redisstore: the client must set ContextTimeoutEnabled, so that contexts bound its commands")
	}
	return b, nil
}

var errNilClient = errors.New("redisstore: nil client")

// NativeExpiry reports true: Redis deletes each key at its ExpiresAt.
func (b *backend) NativeExpiry() bool { return true }

// Key names. The hex digits in braces are the key's hash tag, so that in a
// cluster each key lands in a slot of its own choosing, whatever the
// prefix: a session apart from its user's index.
const (
	sessionTag = "s:{"
	userTag    = "u:{"
	stampTag   = "t:{"
)

func (b *backend) name(tag string, key []byte) string {
	return b.prefix + tag + hex.EncodeToString(key) + "}"
}

func (b *backend) sessionKey(key []byte) string { return b.name(sessionTag, key) }
func (b *backend) userKey(user []byte) string   { return b.name(userTag, user) }
func (b *backend) stampKey(key []byte) string   { return b.name(stampTag, key) }

// parseName returns the key that name, a key name under tag, was made of,
// or false for a name the backend did not make.
func (b *backend) parseName(tag, name string) ([]byte, bool) {
	h, ok := strings.CutPrefix(name, b.prefix+tag)
	if !ok {
		return nil, false
	}
	if h, ok = strings.CutSuffix(h, "}"); !ok {
		return nil, false
	}
	key, err := hex.DecodeString(h)
	return key, err == nil && len(key) > 0
}

// Times are kept as Unix milliseconds in decimal, "" for the zero time:
// whole milliseconds, like MongoDB, and exact in a Lua number.
func millis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func parseMillis(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("redisstore: malformed time")
	}
	return time.UnixMilli(n).UTC(), nil
}

// fail returns err of a command, marked as session.ErrStoreUnavailable when
// it means the server could not be reached or did not answer in time, so
// that the Manager answers 503.
func fail(err error) error {
	if unreachable(err) {
		return fmt.Errorf("redisstore: %w: %v", session.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("redisstore: %w", err)
}

// unreachable reports whether err means the server or cluster could not
// serve the command now: no connection, no answer in time, a cluster
// without a quorum or moving slots, a server loading its data or out of
// memory (with the noeviction policy that the backend needs), or a closed
// client. A canceled context is the caller's doing, not the server's.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted) ||
		redis.IsClusterDownError(err) || redis.IsTryAgainError(err) || redis.IsLoadingError(err) ||
		redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) || redis.IsReadOnlyError(err) ||
		redis.IsOOMError(err)
}
