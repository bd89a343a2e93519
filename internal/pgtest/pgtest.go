package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// maxNamePrefix is how much of the test name a database name keeps:
// PostgreSQL cuts identifiers at 63 bytes, and the prefix, "_" and 12
// random hex digits stay within it.
const maxNamePrefix = 40

// howToInstall is added to a skip or failure for missing programs.
const howToInstall = `pgtest: to run these tests, install Debian's package postgresql ` +
	`(apt-get install postgresql), or set DATABASE_URL to a PostgreSQL server ` +
	`(postgres://user:password@host:5432/db) whose user may create databases`

// howToFixURL is added to a failure to use the server that DATABASE_URL
// names.
const howToFixURL = `pgtest: DATABASE_URL is set; point it at a running PostgreSQL server ` +
	`whose user may create databases, or unset it to have the tests start one themselves`

var (
	// running is set by Run; without it the server would be left to the
	// kernel and its directory would never be removed.
	running atomic.Bool

	setupOnce sync.Once
	shared    *server
	setupErr  error
)

// server is the test binary's PostgreSQL server.
type server struct {
	admin string   // URL of the database the test databases are created from
	bins  binaries // psql at least
	proc  *process // nil when DATABASE_URL names the server
}

// M is what Run runs: *testing.M, or a wrapper that runs it through
// another package's Run, such as internal/mongotest's:
//
//	type mongoM struct{ m *testing.M }
//	func (w mongoM) Run() int { return mongotest.Run(w.m) }
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(mongoM{m})) }
type M interface{ Run() int }

// Run runs the tests, then stops the server if it started one, and
// returns m.Run's exit code. Every test package that uses pgtest calls it
// from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
func Run(m M) int {
	running.Store(true)
	code := m.Run()
	// A no-op that waits for a setup in progress and prevents a later
	// one, so that shared is final here.
	setupOnce.Do(func() {})
	if shared != nil && shared.proc != nil {
		if err := shared.proc.close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// URL returns the connection URL of a new database for the test, named
// after it with a random suffix, on the test binary's server. The database
// is dropped when the test ends, with any connection still open to it.
func URL(t testing.TB) string {
	t.Helper()
	s := get(t)
	name := dbName(t.Name())
	if _, err := s.bins.run(t.Context(), s.admin, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is done by now.
		if _, err := s.bins.run(context.Background(), s.admin, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(s.admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// get returns the server, setting it up on first use; it skips or fails
// the test when there is none.
func get(t testing.TB) *server {
	t.Helper()
	if !running.Load() {
		t.Fatal("pgtest: call os.Exit(pgtest.Run(m)) from the package's TestMain")
	}
	setupOnce.Do(func() { shared, setupErr = setup() })
	switch {
	case errors.Is(setupErr, ErrNoBinaries):
		unavailable(t, setupErr)
	case setupErr != nil && os.Getenv("DATABASE_URL") != "":
		t.Fatalf("pgtest: no PostgreSQL server: %v\n%s", setupErr, howToFixURL)
	case setupErr != nil:
		t.Fatalf("pgtest: no PostgreSQL server: %v", setupErr)
	}
	if shared.proc != nil {
		select {
		case <-shared.proc.exited:
			t.Fatalf("pgtest: postgres exited unexpectedly: %v\n%s", shared.proc.err, shared.proc.logs)
		default:
		}
	}
	return shared
}

// unavailable skips the test for a server that cannot be had here, or
// fails it when the environment variable CI is set: CI must run every
// test, and a skip there would hide a missing install step.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%v\n%s\n(CI is set, so this test fails rather than skip)", err, howToInstall)
		return
	}
	t.Skipf("%v\n%s", err, howToInstall)
}

func setup() (*server, error) {
	path := os.Getenv("PATH")
	if admin := os.Getenv("DATABASE_URL"); admin != "" {
		u, err := url.Parse(admin)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, errors.New("pgtest: DATABASE_URL is not a postgres:// URL")
		}
		bins, err := findPsql(path, libDirs)
		if err != nil {
			return nil, err
		}
		if _, err := bins.run(context.Background(), admin, "SELECT 1"); err != nil {
			return nil, err
		}
		return &server{admin: admin, bins: bins}, nil
	}
	bins, err := findServer(path, libDirs)
	if err != nil {
		return nil, err
	}
	p, err := startServer(bins)
	if err != nil {
		return nil, err
	}
	return &server{admin: p.url(superuser), bins: bins, proc: p}, nil
}

// dbName returns a database name for the test: its name in lower case,
// with every character other than a-z, 0-9 and "_" replaced by "_", cut to
// maxNamePrefix characters, then "_" and 12 random hex digits so that
// repeated and parallel runs never share a database.
func dbName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if b.Len() == maxNamePrefix {
			break
		}
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	suffix := make([]byte, 6)
	rand.Read(suffix) // never fails, per crypto/rand
	return b.String() + "_" + hex.EncodeToString(suffix)
}
