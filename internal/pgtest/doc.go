// Package pgtest gives tests a PostgreSQL server: the one named by the
// DATABASE_URL environment variable when it is set, otherwise one that it
// starts itself from the programs of Debian's postgresql package, so that
// tests of code that needs PostgreSQL run on a machine that has the
// package installed and nothing configured.
//
// A test package that uses it calls Run from TestMain, which stops the
// server when the tests are done:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestStore(t *testing.T) {
//		url := pgtest.URL(t) // a new database, dropped when t ends
//		...
//	}
//
// One server serves the whole test binary, started by the first test that
// asks for it (about a second); every URL names a database of its own,
// created with CREATE DATABASE and dropped, with any connection still open
// to it, when the test ends. Databases are made and dropped with psql, so
// that the module needs no PostgreSQL driver.
//
// When the server programs (initdb, postgres) are not installed, a test
// that asks for a server is skipped, with a message that names the Debian
// package postgresql, unless the environment variable CI is set: CI must
// run every test, so there the test fails instead. Any other failure to
// start the server fails the test.
//
// # The server it starts
//
// The programs are looked up in PATH (following a symbolic link to the
// directory that holds them all, as /usr/local/bin/postgres links to
// /usr/lib/postgresql/15/bin/postgres), then in /usr/lib/postgresql/*/bin,
// the newest version first; psql comes from the same directory, or from
// PATH.
//
// initdb creates a cluster in a new temporary directory (under
// os.TempDir), with trust authentication for the superuser postgres.
// postgres listens on 127.0.0.1 only, on a free port, and on no Unix
// socket at all. Its data is thrown away, so it runs with fsync,
// synchronous_commit and full_page_writes off: faster than a production
// server, and not a place to measure the cost of durable writes.
//
// initdb and postgres refuse to run as root. When the test binary runs as
// root (CI does, and so do containers), pgtest runs them as the account
// postgres, which Debian's package creates, or as nobody when there is no
// such account, and gives the temporary directory to that account; on
// systems other than Linux it then fails with instructions instead.
//
// The server does not outlive the test binary: Run stops it (fast
// shutdown, then SIGKILL if it lingers) and removes its directory, and on
// Linux the kernel kills it if the test binary dies first.
//
// A test that stops the server to see what an outage does starts one of
// its own with StartServer, which it may stop and restart on the same
// port (Process.Stop, Process.Restart) without disturbing other tests.
//
// Programs other than tests use StartProcess, or the command
// internal/pgtest/cmd/pgserver from a shell or another module's tests.
package pgtest
