// Package mongotest gives tests a MongoDB server: the one named by the
// MONGODB_URI environment variable when it is set, otherwise a devmongo
// server (FerretDB with SQLite) that it builds and starts itself as a
// subprocess, so that go test ./... passes on a fresh machine. With
// MONGOTEST_BACKEND=postgresql, devmongo keeps its data in a PostgreSQL
// server that package pgtest starts (FerretDB's production backend), and
// the same tests run there.
//
// A test package that uses it calls Run from TestMain, which stops the
// server when the tests are done:
//
//	func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }
//
//	func TestStore(t *testing.T) {
//		coll := mongotest.DB(t).Collection("sessions") // dropped when t ends
//		...
//	}
//
// One server, and one client, serve the whole test binary. The first test
// that asks for them builds devmongo (about a minute the first time on a
// machine, then cached under os.UserCacheDir()/sessionseal) and starts it.
// When no server can be had, the test fails with instructions; it never
// skips.
//
// # Outages
//
// Stop and Restart end and restart the devmongo process on the same address
// and data directory, for tests of what the library does while MongoDB is
// unreachable. They affect every test in the binary, so tests that call them
// must not run in parallel with tests that use the server. Against an
// external server (MONGODB_URI set) they skip the test, since they cannot
// stop it.
//
// While the server is stopped, the first operation on a pooled connection
// that the server closed fails with an error for which mongo.IsNetworkError
// is true (its type is mongo.CommandError, with the NetworkError label).
// Later operations fail with a topology.ServerSelectionError once the
// client's five-second server selection timeout or the context's deadline
// has passed, whichever comes first; mongo.IsTimeout is true for it, and so
// is errors.Is(err, context.DeadlineExceeded), even when the caller's
// context had time left. Stop takes about three seconds: FerretDB gives open
// connections that long before it closes them.
//
// The devmongo process does not outlive the test binary: Run stops it, and
// on Linux the kernel kills it if the test binary dies first.
package mongotest
