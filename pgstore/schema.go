package pgstore

import (
	"context"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// MigrationSQL returns the statements that create the tables and indexes of
// a backend over table ("": DefaultTable), as New runs them: every one is
// idempotent (IF NOT EXISTS), so that they may run again on a database that
// has the schema. It is for operators who run migrations themselves and
// set Options.SkipMigration; the package documentation shows them for
// DefaultTable.
func MigrationSQL(table string) (string, error) {
	if table == "" {
		table = DefaultTable
	}
	if err := checkTable(table); err != nil {
		return "", err
	}
	return migrationSQL(table), nil
}

func migrationSQL(table string) string {
	return strings.NewReplacer(
		"{sessions}", quote(table),
		"{stamps}", quote(table+"_stamps"),
		"{sessions_user_key}", quote(table+"_user_key"),
		"{sessions_expires_at}", quote(table+"_expires_at"),
		"{stamps_expires_at}", quote(table+"_stamps_expires_at"),
	).Replace(schema)
}

// schema is the migration, with the names in braces. Keep the package
// documentation's copy in step: a test compares them.
const schema = `CREATE TABLE IF NOT EXISTS {sessions} (
    key        bytea PRIMARY KEY,    -- SHA-256 of the session ID
    data       bytea NOT NULL,       -- the payload, sealed by the engine
    user_key   bytea,                -- SHA-256 of the user ID; NULL: no user
    version    bigint NOT NULL,
    expires_at timestamptz NOT NULL, -- when the record may be deleted
    created    timestamptz,
    updated    timestamptz NOT NULL,
    origin     timestamptz,          -- when the cookie it moved from was issued
    user_agent text,
    ip         text
);
CREATE INDEX IF NOT EXISTS {sessions_user_key}
    ON {sessions} (user_key) WHERE user_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS {sessions_expires_at}
    ON {sessions} (expires_at);
CREATE TABLE IF NOT EXISTS {stamps} (
    key        bytea PRIMARY KEY,    -- SHA-256 of a label and the user ID
    not_before timestamptz,
    expires_at timestamptz NOT NULL,
    ended      jsonb NOT NULL DEFAULT '{}' -- handle: Unix microseconds
);
CREATE INDEX IF NOT EXISTS {stamps_expires_at}
    ON {stamps} (expires_at);
`

// migrate runs the migration in a transaction that holds an advisory lock
// of the table's name: CREATE ... IF NOT EXISTS run at once by two
// processes starting together can both find the name free, and one then
// fails on a unique violation in the catalog.
func (b *backend) migrate(ctx context.Context, table string) error {
	h := fnv.New64a()
	h.Write([]byte("sessionseal pgstore migration " + table))
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, migrationSQL(table))
		return err
	})
	if err != nil {
		return fail("migrating the schema", err)
	}
	return nil
}

// checkSchema checks that the tables have the columns the backend reads
// and writes, reading no row.
func (b *backend) checkSchema(ctx context.Context) error {
	if _, err := b.pool.Exec(ctx, b.q.check); err != nil {
		return fail("checking the schema (see MigrationSQL)", err)
	}
	return nil
}
