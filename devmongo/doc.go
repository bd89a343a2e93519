// Package devmongo runs a MongoDB-compatible server in the current process
// for development and tests: FerretDB's embeddable server with its SQLite
// backend, listening on a loopback address.
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
// Every command it refuses is logged at WARN, which is why the default
// logger discards everything.
//
// # Security model
//
// The server has no authentication and no TLS. Start refuses any address
// that is not a loopback address, so that it is reachable from this machine
// only. It is meant for development and tests, never for production data.
package devmongo
