// Package devmongo runs a MongoDB-compatible server in the current process
// for development and tests: FerretDB's embeddable server with its SQLite
// backend, or its PostgreSQL backend (Options.PostgreSQLURL), listening on a
// loopback address.
//
//	srv, err := devmongo.Start(ctx, devmongo.Options{})
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
//
// The command github.com/sessionseal/session/devmongo/cmd/devmongo does the
// same from a shell and prints the URI.
//
// devmongo is its own module so that the library does not depend on
// FerretDB; the library's tests start the command as a subprocess instead of
// importing this package.
//
// # What FerretDB 1.24 does not do
//
// FerretDB 1.24 answers createIndexes with expireAfterSeconds (a TTL index)
// with NotImplemented (code 238), and it has no transactions. Database names
// must match [a-zA-Z0-9_-]{1,63} and must not start with "_ferretdb_".
// Over PostgreSQL, a database whose name starts with "pg" and at least one
// more character is not found again by a restarted server, which then
// fails to write to it: FerretDB lists its schemas with LIKE 'pg_%', where
// "_" matches any character. Every command it refuses is logged at WARN, which is why the default
// logger discards everything.
//
// # SQLite or PostgreSQL
//
// With SQLite, the default, the data is in files of a directory and nothing
// else needs to run. FerretDB's SQLite backend pushes down to SQLite only a
// filter on _id alone; a query with any other condition reads the whole
// collection, so its cost grows with the collection. Its PostgreSQL backend
// pushes down more, and keeps such queries flat: set Options.PostgreSQLURL
// to a database of a PostgreSQL server to measure what a workload costs as
// collections grow. The library's tests start one with internal/pgtest.
//
// # Security model
//
// The server has no authentication and no TLS. Start refuses any address
// that is not a loopback address, so that it is reachable from this machine
// only. It is meant for development and tests, never for production data.
package devmongo
