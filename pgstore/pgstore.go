package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/serverstore"
)

// DefaultTable is the Options.Table of a zero Options.
const DefaultTable = "sessionseal_sessions"

// Options configures the backend New returns. The zero value is the default
// choice; each field's comment says its default.
type Options struct {
	// Table names the table of session records; the table of revocation
	// stamps is named after it with "_stamps" added, and the indexes with
	// "_user_key" and "_expires_at". Default DefaultTable,
	// "sessionseal_sessions". It must be a lower-case SQL identifier
	// (letters a-z, digits and "_", not starting with a digit) of at most
	// 45 bytes, so that every derived name fits PostgreSQL's 63, and the
	// same name quoted or not. The tables are created in the first schema
	// of the connection's search_path; set search_path in the connection
	// string to put them elsewhere.
	Table string

	// SkipMigration tells New not to create the tables and indexes, for
	// operators who run migrations themselves with MigrationSQL's
	// statements, and for roles that may not create tables. Default false:
	// New runs the migration, which changes nothing when the schema is
	// there. Either way New checks that the tables exist.
	SkipMigration bool
}

// backend keeps session records and revocation stamps in two PostgreSQL
// tables. It is safe for concurrent use.
type backend struct {
	pool *pgxpool.Pool
	q    queries
}

var _ serverstore.Backend = (*backend)(nil)

// New returns a backend that keeps sessions in the database that pool
// reaches, in the tables that opts names. Unless opts.SkipMigration is set,
// it first creates the tables and indexes that are missing (see the
// package documentation); then it checks that they exist. The pool stays
// the caller's to close.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (serverstore.Backend, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	table := opts.Table
	if table == "" {
		table = DefaultTable
	}
	if err := checkTable(table); err != nil {
		return nil, err
	}
	b := &backend{pool: pool, q: newQueries(table)}
	if !opts.SkipMigration {
		if err := b.migrate(ctx, table); err != nil {
			return nil, err
		}
	}
	if err := b.checkSchema(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// maxTable is the longest table name: the longest derived name,
// table+"_stamps_expires_at", must fit PostgreSQL's 63 bytes, beyond which
// it would cut names silently and two of them could collide.
const maxTable = 63 - len("_stamps_expires_at")

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// checkTable refuses a table name that is not a lower-case identifier of
// at most maxTable bytes. Lower case only, so that the name an operator
// types unquoted is the one the backend quotes.
func checkTable(table string) error {
	if len(table) > maxTable || !identifier.MatchString(table) {
		return fmt.Errorf("pgstore: table name %q is not a lower-case SQL identifier of at most %d bytes", table, maxTable)
	}
	return nil
}

// quote returns name as a quoted SQL identifier. checkTable has made sure
// that it holds no quote.
func quote(name string) string { return `"` + name + `"` }

// NativeExpiry reports false: PostgreSQL has no expiry of rows, so the
// store's cleanup loop calls DeleteExpired.
func (b *backend) NativeExpiry() bool { return false }

// Times: PostgreSQL keeps microseconds. A zero time is NULL in the columns
// where a time is optional (created, origin, not_before); GREATEST ignores
// NULL, so a zero time given to Update or RaiseStamp changes nothing.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// An empty user agent or IP address is NULL.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func fromNullText(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// fail returns err of a call that was doing what, marked as
// session.ErrStoreUnavailable when it means the server could not be reached
// or did not answer in time, so that the Manager answers 503.
func fail(what string, err error) error {
	if unreachable(err) {
		return fmt.Errorf("pgstore: %s: %w: %v", what, session.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

// unreachable reports whether err means the server could not serve the
// call now: no connection or a lost one, no answer in time, a server
// shutting down, starting or out of connections or other resources, a
// read-only server (a standby after a failover), a statement or lock
// timeout, a transaction the server aborted to resolve a conflict with
// another, or a closed pool. A canceled context is the caller's doing, not
// the server's.
func unreachable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return unavailableState(pe.Code)
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, puddle.ErrClosedPool)
}

// unavailableState reports whether an error of SQLSTATE code means that the
// server cannot serve the call now, though it may soon.
func unavailableState(code string) bool {
	switch code {
	case "57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now: starting up or shutting down
		"57P05", // idle_session_timeout
		"57014", // query_canceled: statement_timeout
		"55P03", // lock_not_available: lock_timeout
		"40001", // serialization_failure
		"40P01", // deadlock_detected
		"25006": // read_only_sql_transaction: a standby
		return true
	}
	// Class 08, connection exception; class 53, insufficient resources
	// (too many connections, out of memory, disk full).
	return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "53")
}
