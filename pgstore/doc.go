// Package pgstore is a serverstore.Backend on PostgreSQL: the engine in
// package serverstore does everything else (sealing, reference tokens,
// merges, stamps).
//
//	pool, err := pgxpool.New(ctx, "postgres://app:secret@db.internal/app?sslmode=verify-full")
//	if err != nil { ... }
//	defer pool.Close()
//	b, err := pgstore.New(ctx, pool, pgstore.Options{})
//	if err != nil { ... }
//	store, err := serverstore.New(keys, b, serverstore.Options{})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := session.NewManager(store, session.Options{})
//
// It needs PostgreSQL 10 or later (its tests run on 15), and nothing but
// standard SQL types, jsonb and one advisory lock: no extension, no
// trigger, no stored procedure.
//
// # Schema
//
// Two tables, named after Options.Table (DefaultTable by default): one row
// per session record, one per revocation stamp. For DefaultTable:
//
//	CREATE TABLE IF NOT EXISTS "sessionseal_sessions" (
//	    key        bytea PRIMARY KEY,    -- SHA-256 of the session ID
//	    data       bytea NOT NULL,       -- the payload, sealed by the engine
//	    user_key   bytea,                -- SHA-256 of the user ID; NULL: no user
//	    version    bigint NOT NULL,
//	    expires_at timestamptz NOT NULL, -- when the record may be deleted
//	    created    timestamptz,
//	    updated    timestamptz NOT NULL,
//	    origin     timestamptz,          -- when the cookie it moved from was issued
//	    user_agent text,
//	    ip         text
//	);
//	CREATE INDEX IF NOT EXISTS "sessionseal_sessions_user_key"
//	    ON "sessionseal_sessions" (user_key) WHERE user_key IS NOT NULL;
//	CREATE INDEX IF NOT EXISTS "sessionseal_sessions_expires_at"
//	    ON "sessionseal_sessions" (expires_at);
//	CREATE TABLE IF NOT EXISTS "sessionseal_sessions_stamps" (
//	    key        bytea PRIMARY KEY,    -- SHA-256 of a label and the user ID
//	    not_before timestamptz,
//	    expires_at timestamptz NOT NULL,
//	    ended      jsonb NOT NULL DEFAULT '{}' -- handle: Unix microseconds
//	);
//	CREATE INDEX IF NOT EXISTS "sessionseal_sessions_stamps_expires_at"
//	    ON "sessionseal_sessions_stamps" (expires_at);
//
// Times are kept to the microsecond; a time the engine leaves zero is NULL
// where a column allows it, and so are an empty user agent and IP address.
// A stamp's ended sessions are a jsonb object from handle (base64url) to
// the time until which they are refused, so that one upsert can raise each
// of them and DropEnded can remove some.
//
// # Migration
//
// By default New runs the statements above, in one transaction that holds
// an advisory lock, so that several processes starting at once do not race
// on the catalog. Each is IF NOT EXISTS: on a database that has the schema
// they change nothing, and whoever created it, New or an operator, the
// result is the same. The role then needs the CREATE privilege on the
// schema.
//
// To run migrations yourself, take the statements from MigrationSQL (for
// any table name) and set Options.SkipMigration; the role of the
// application then needs only SELECT, INSERT, UPDATE and DELETE on the two
// tables. Either way New checks that the tables have the columns it uses.
//
// # Statements
//
// Every call is a single statement, so each is atomic without a
// transaction, and one round trip:
//
//	Get         SELECT ... WHERE key = $1                             1
//	Insert      INSERT ... ON CONFLICT (key) DO NOTHING               1
//	            (no row inserted: ErrExists)
//	Update      UPDATE ... SET data, version,
//	            expires_at = GREATEST(expires_at, $), updated = GREATEST(updated, $)
//	            [, user_key, user_agent, ip when the user changed]
//	            WHERE key = $1 AND version = $2                       1
//	Delete      DELETE ... WHERE key = $1 [AND version = $2]          1
//	ListUser    SELECT ... WHERE user_key = $1                        1
//	DeleteUser  DELETE ... WHERE user_key = $1                        1
//	Scan        SELECT ... WHERE key > $1 ORDER BY key LIMIT $2       1
//	Count       SELECT count(*)                                       1
//	GetStamp    SELECT ... WHERE key = $1                             1
//	RaiseStamp  INSERT ... ON CONFLICT (key) DO UPDATE SET
//	            not_before = GREATEST(...), expires_at = GREATEST(...),
//	            ended = each entry the later of the two
//	            RETURNING ...                                         1
//	DropEnded   UPDATE ... SET ended = ended - $2::text[]             1
//	            (none for no handle)
//	DeleteExpired  DELETE of up to 1,000 expired rows, per table,
//	            until a batch finds fewer                             2 or more
//
// Through the store, a request that only reads its session costs one round
// trip; one that changes it two (the read, then the update); a new session
// one. Under READ COMMITTED, PostgreSQL's default, an UPDATE or DELETE that
// waits for a concurrent one of the same row checks its WHERE again on the
// row that one left, so of two writes at one version exactly one changes
// the row, and an upsert locks the row it merges into: what the engine's
// concurrent saves and revocations need.
//
// These counts hold for pgx's default way of sending statements, prepared
// once per connection and cached (pgx.QueryExecModeCacheStatement): the
// first run of each statement on a connection costs one round trip more,
// to prepare it. pgxpool also pings a connection that has been idle for
// more than a second before handing it out (pgxpool.Config.ShouldPing),
// one round trip more, which finds connections that the server closed. The
// backend works in every mode of pgx.QueryExecMode, including the ones
// without prepared statements that a pooler such as PgBouncer in
// transaction mode needs (pgx.QueryExecModeExec: one round trip a
// statement).
//
// # Scaling
//
// Every call that a request makes looks a row up by primary key (a B-tree
// on key), or by the partial index on user_key, which holds only the
// records that have a user; their cost grows with the logarithm of the
// table's size. DeleteExpired walks the expires_at indexes from the oldest
// expiry, a batch of 1,000 rows per statement, each committed on its own,
// so that a backlog is worked off across calls even when one runs out of
// time, and skipping rows that a save holds (FOR UPDATE SKIP LOCKED), which
// also lets the cleanups of several processes share the work. Scan, used by
// Rewrap, pages through the primary key. Count is the one call that reads
// the whole table.
//
// The engine moves a record's expiry in steps of a tenth of the idle
// timeout, so most updates change no indexed column, and PostgreSQL can
// make them heap-only (HOT) updates, which write no index. Deleted and
// updated rows leave dead tuples for autovacuum, as in any table with this
// much churn; keep it on.
//
// # Security model
//
// Keys are SHA-256 hashes of session IDs, user IDs and stamp labels, and
// data is sealed by the engine: a dump of the tables holds no live token
// and no readable session. Every value travels as a statement parameter;
// the only names in the text of a statement are the table names, which New
// accepts only as lower-case identifiers and quotes. The backend logs
// nothing, and its errors hold no key or value (PostgreSQL's messages for
// the statements it runs name constraints, not values).
//
// The stamps table is what refuses revoked cookie sessions (package
// hybrid): a row deleted by hand undoes a revocation. Give the application
// a role of its own, reach the server over TLS (sslmode=verify-full in the
// connection string), and keep the tables out of reach of roles that do
// not need them.
//
// # Availability
//
// Errors that mean the server could not serve the statement now match
// session.ErrStoreUnavailable, so that the Manager answers 503 and the
// client keeps its cookie: a refused, lost or timed-out connection, a
// context deadline (the engine's Options.Timeout), a server shutting down,
// starting, out of connections or other resources (SQLSTATE classes 08 and
// 53, 57P01, 57P02, 57P03, 57P05), a statement or lock timeout (57014, 55P03), a
// serialization failure or deadlock (40001, 40P01), a read-only server (a
// standby after a failover, 25006), and a closed pool. A canceled context
// returns context.Canceled at once: pgx closes the connection it was
// using rather than wait for the server, asks the server to cancel the
// statement in the background, and the pool dials a new one. A statement
// that completes before the cancel request arrives (one waiting for a row
// lock that frees just then) is applied although the call failed.
//
// The backend recovers with the pool when the server comes back: pgxpool
// drops connections that fail and dials new ones. It retries nothing
// itself: a write whose answer was lost may have been applied, and the
// engine, which sees the new version on its next read, handles it like a
// concurrent save.
//
// # Driver
//
// The backend uses pgx v5 (github.com/jackc/pgx/v5) and its pool,
// pgxpool, rather than database/sql with lib/pq or pgx's stdlib adapter.
// pgx speaks PostgreSQL's binary protocol natively, caches prepared
// statements per connection so that each call is one round trip, cancels
// a statement promptly when its context ends, returns the server's
// SQLSTATE in typed errors that tell an outage from a bug, and has tracing
// hooks (pgx.QueryTracer) for the application's observability. lib/pq is
// in maintenance mode, and database/sql's pool would add a layer with
// none of these. An application that uses database/sql elsewhere can open
// a pgxpool.Pool beside it for the sessions.
package pgstore
