package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/sessionseal/session/internal/pgtest"
)

const (
	// serverSelectionTimeout bounds how long an operation waits for a
	// reachable server, so that outage tests fail fast.
	serverSelectionTimeout = 5 * time.Second

	// readyTimeout bounds the wait for a server to answer a ping, at
	// setup and after Restart.
	readyTimeout = 30 * time.Second

	// dropTimeout bounds the drop of a test's database.
	dropTimeout = 10 * time.Second

	// maxNamePrefix is how much of the test name a database name keeps.
	// FerretDB accepts [a-zA-Z0-9_-]{1,63}; MongoDB accepts up to 63
	// bytes. The prefix, "_" and 12 random hex digits stay within both.
	maxNamePrefix = 38
)

// howToGetOne is appended to a failure to start devmongo.
const howToGetOne = `mongotest: to run these tests, either set MONGODB_URI to a MongoDB server ` +
	`(for example mongodb://127.0.0.1:27017/), or make sure that "go build ./cmd/devmongo" ` +
	`works in the repository's devmongo directory (its first build needs the Go module proxy)`

// howToFixURI is appended to a failure to reach the server that
// MONGODB_URI names.
const howToFixURI = `mongotest: MONGODB_URI is set; point it at a running MongoDB server, ` +
	`or unset it to have the tests start devmongo themselves`

var (
	// running is set by Run; without it the devmongo process would be
	// left to the kernel and its data directory would never be removed.
	running atomic.Bool

	setupOnce sync.Once
	shared    *server
	setupErr  error
)

// server is the test binary's MongoDB server and its client.
type server struct {
	uri    string
	client *mongo.Client
	proc   *process        // nil when MONGODB_URI names the server
	pg     *pgtest.Process // the PostgreSQL under devmongo, with MONGOTEST_BACKEND=postgresql
}

// Run runs the tests, then disconnects the client and stops the devmongo
// process if one was started, and returns m.Run's exit code. Every test
// package that uses mongotest calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }
func Run(m *testing.M) int {
	running.Store(true)
	code := m.Run()
	// A no-op that waits for a setup in progress and prevents a later
	// one, so that shared is final here.
	setupOnce.Do(func() {})
	if shared != nil {
		if err := shared.close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	return code
}

// URI returns the MongoDB connection string of the test binary's server.
func URI(t testing.TB) string {
	t.Helper()
	return get(t).uri
}

// Client returns the test binary's shared client, connected to its server.
// Its server selection timeout is five seconds. Tests must not disconnect
// it; a test that needs its own options connects its own client to URI.
func Client(t testing.TB) *mongo.Client {
	t.Helper()
	return get(t).client
}

// DB returns a database of its own for the test, named after the test with
// a random suffix, on the shared client. The database is dropped when the
// test ends.
func DB(t testing.TB) *mongo.Database {
	t.Helper()
	db := get(t).client.Database(dbName(t.Name()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			t.Errorf("mongotest: dropping database %s: %v", db.Name(), err)
		}
	})
	return db
}

// Stop ends the devmongo process (SIGTERM, then wait), keeping its data,
// so that every operation fails until Restart. If the test has not called
// Restart when it ends, the server is restarted for the tests that follow.
// Stop skips the test when MONGODB_URI names an external server.
func Stop(t testing.TB) {
	t.Helper()
	s := controllable(t)
	if err := s.proc.stop(); err != nil {
		t.Fatalf("mongotest: %v", err)
	}
	t.Cleanup(func() {
		if !s.proc.isStopped() {
			return
		}
		if err := s.restart(); err != nil {
			t.Errorf("mongotest: restarting the server after the test: %v", err)
		}
	})
}

// Restart starts the devmongo process that Stop ended again, on the same
// address and data directory, and returns once the shared client reaches
// it. Restart skips the test when MONGODB_URI names an external server.
func Restart(t testing.TB) {
	t.Helper()
	s := controllable(t)
	if !s.proc.isStopped() {
		t.Fatal("mongotest: Restart without Stop")
	}
	if err := s.restart(); err != nil {
		t.Fatalf("mongotest: %v", err)
	}
}

// controllable returns the server for Stop and Restart, skipping the test
// when it is not ours to stop.
func controllable(t testing.TB) *server {
	t.Helper()
	s := get(t)
	if s.proc == nil {
		t.Skip("mongotest: MONGODB_URI names an external server, which an outage test cannot stop; " +
			"unset MONGODB_URI to run this test against devmongo")
	}
	return s
}

// get returns the server, setting it up on first use; it fails the test
// when there is none.
func get(t testing.TB) *server {
	t.Helper()
	if !running.Load() {
		t.Fatal("mongotest: call os.Exit(mongotest.Run(m)) from the package's TestMain")
	}
	setupOnce.Do(func() { shared, setupErr = setup() })
	if setupErr != nil {
		hint := howToGetOne
		if os.Getenv("MONGODB_URI") != "" {
			hint = howToFixURI
		}
		t.Fatalf("mongotest: no MongoDB server: %v\n%s", setupErr, hint)
	}
	if shared.proc != nil {
		if err := shared.proc.crashed(); err != nil {
			t.Fatalf("mongotest: %v", err)
		}
	}
	return shared
}

func setup() (*server, error) {
	s := &server{uri: os.Getenv("MONGODB_URI")}
	if s.uri == "" {
		var pgURL string
		if os.Getenv("MONGOTEST_BACKEND") == "postgresql" {
			pg, url, err := pgtest.StartProcess()
			if err != nil {
				return nil, fmt.Errorf("starting PostgreSQL for devmongo: %w", err)
			}
			s.pg, pgURL = pg, url
		}
		p, uri, err := startDevmongo(pgURL)
		if err != nil {
			s.close()
			return nil, err
		}
		s.proc, s.uri = p, uri
	}
	client, err := mongo.Connect(options.Client().ApplyURI(s.uri).SetServerSelectionTimeout(serverSelectionTimeout))
	if err != nil {
		s.close()
		return nil, fmt.Errorf("connecting to %s: %v", s.uri, err)
	}
	s.client = client
	if err := s.ping(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// ping waits until the shared client reaches the server.
func (s *server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var err error
	for ctx.Err() == nil {
		if err = s.client.Ping(ctx, readpref.Primary()); err == nil {
			return nil
		}
		// Ping waits for server selection itself; this only keeps an
		// error that comes at once (authentication) from spinning.
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server %s does not answer: %v", s.uri, err)
}

func (s *server) restart() error {
	if err := s.proc.restart(); err != nil {
		return err
	}
	return s.ping()
}

// close disconnects the client and stops and removes devmongo.
func (s *server) close() error {
	var errs []error
	if s.client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		if err := s.client.Disconnect(ctx); err != nil {
			errs = append(errs, fmt.Errorf("mongotest: disconnecting: %v", err))
		}
	}
	if s.proc != nil {
		if err := s.proc.close(); err != nil {
			errs = append(errs, fmt.Errorf("mongotest: %v", err))
		}
	}
	if s.pg != nil {
		if err := s.pg.Close(); err != nil {
			errs = append(errs, fmt.Errorf("mongotest: %v", err))
		}
	}
	return errors.Join(errs...)
}

// dbName returns a database name for the test: its name, with every
// character that FerretDB refuses in a database name replaced by "_", cut
// to maxNamePrefix characters, then "_" and 12 random hex digits so that
// repeated and parallel runs never share a database.
func dbName(test string) string {
	var b strings.Builder
	for _, r := range test {
		if b.Len() == maxNamePrefix {
			break
		}
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	suffix := make([]byte, 6)
	rand.Read(suffix) // never fails, per crypto/rand
	return b.String() + "_" + hex.EncodeToString(suffix)
}
