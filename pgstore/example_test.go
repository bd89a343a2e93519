package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/serverstore"
)

// New needs a server (it runs the migration), so this example is compiled
// but not run.
func ExampleNew() {
	ctx := context.Background()
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, "postgres://app@localhost:5432/app")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	b, err := pgstore.New(ctx, pool, pgstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	store, err := serverstore.New(keys, b, serverstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := session.NewManager(store, session.Options{}); err != nil {
		log.Fatal(err)
	}
}

// The statements to run before starting with Options.SkipMigration.
func ExampleMigrationSQL() {
	sql, err := pgstore.MigrationSQL("app_sessions")
	if err != nil {
		log.Fatal(err)
	}
	for line := range strings.Lines(sql) {
		if strings.HasPrefix(line, "CREATE") {
			fmt.Print(line)
		}
	}
	// Output:
	// CREATE TABLE IF NOT EXISTS "app_sessions" (
	// CREATE INDEX IF NOT EXISTS "app_sessions_user_key"
	// CREATE INDEX IF NOT EXISTS "app_sessions_expires_at"
	// CREATE TABLE IF NOT EXISTS "app_sessions_stamps" (
	// CREATE INDEX IF NOT EXISTS "app_sessions_stamps_expires_at"
}
