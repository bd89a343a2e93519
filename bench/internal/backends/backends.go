// Package backends opens a server-store backend by name, starting its
// database server on loopback, for the programs and benchmarks of the
// bench module (faultload, loadtest, BenchmarkScale), and counts the
// database round trips each backend's client makes.
//
// The names, and the servers they start:
//
//   - mongo: devmongo (FerretDB 1.24 over SQLite) through
//     internal/mongotest, or the server Options.MongoURI names
//   - mongo-pg: devmongo over PostgreSQL, the PostgreSQL server started
//     through internal/pgtest
//   - redis: redis-server through internal/redisproc
//   - postgres: PostgreSQL (pgstore) through internal/pgtest, which runs it
//     with fsync off
//   - memory: memstore, no server and no round trips
package backends

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/redisproc"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/serverstore"
)

// Names are the backends Open knows, in the order reports list them.
var Names = []string{"mongo", "mongo-pg", "redis", "postgres", "memory"}

// Options sets up the server Open starts.
type Options struct {
	// MongoURI, when set, names the MongoDB server of backend mongo, which
	// Open then does not start; the DB has no Server. Default: start
	// devmongo.
	MongoURI string

	// Durable makes redis-server sync every write to its append-only file
	// before it answers, so that a crash keeps every acknowledged write.
	// Default off: Redis keeps its data in memory only.
	Durable bool
}

// Server is a database server that can be crashed and restarted.
type Server interface {
	Kill() error
	Restart() error
}

var (
	_ Server = (*mongotest.Process)(nil)
	_ Server = (*redisproc.Server)(nil)
	_ Server = pgStopper{}
)

// DB is an open backend and the server behind it.
type DB struct {
	Name       string // how reports name the database
	Server     Server // nil when Open started none (memory, MongoURI)
	Backend    serverstore.Backend
	RoundTrips *Counter // the round trips of the backend's client; memory has none
	closers    []func() // run in reverse order by Close
}

// Close closes the client and stops the servers Open started.
func (d *DB) Close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// Open starts the server of backend name on loopback and returns a backend
// over it whose client counts its round trips. On error it has stopped
// whatever it started; the error matches NotInstalled when the server's
// programs are missing.
func Open(ctx context.Context, name string, opts Options) (_ *DB, err error) {
	d := &DB{RoundTrips: NewCounter()}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	switch name {
	case "mongo":
		d.Name = "devmongo (FerretDB over SQLite)"
		uri := opts.MongoURI
		if uri != "" {
			d.Name = "MONGODB_URI"
		} else {
			p, u, err := mongotest.StartProcess()
			if err != nil {
				return nil, err
			}
			d.Server, uri = p, u
			d.closers = append(d.closers, func() { p.Close() })
		}
		err = d.openMongo(ctx, uri)
		return d, err
	case "mongo-pg":
		d.Name = "FerretDB over PostgreSQL"
		pg, url, err := pgtest.StartProcess()
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, func() { pg.Close() })
		p, uri, err := mongotest.StartPostgreSQLProcess(url)
		if err != nil {
			return nil, err
		}
		d.Server = p
		d.closers = append(d.closers, func() { p.Close() })
		err = d.openMongo(ctx, uri)
		return d, err
	case "redis":
		d.Name = "Redis"
		srv, err := redisproc.Start(redisproc.Options{Durable: opts.Durable})
		if err != nil {
			return nil, err
		}
		d.Server = srv
		d.closers = append(d.closers, func() { srv.Close() })
		client := Redis(srv.Addr(), d.RoundTrips)
		d.closers = append(d.closers, func() { client.Close() })
		d.Backend, err = redisstore.New(client, redisstore.Options{})
		return d, err
	case "postgres":
		d.Name = "PostgreSQL"
		srv, url, err := pgtest.StartProcess()
		if err != nil {
			return nil, err
		}
		d.Server = pgStopper{srv}
		d.closers = append(d.closers, func() { srv.Close() })
		pool, err := Postgres(ctx, url, d.RoundTrips)
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, pool.Close)
		d.Backend, err = pgstore.New(ctx, pool, pgstore.Options{})
		return d, err
	case "memory":
		d.Name = "memory"
		d.Backend = memstore.New(memstore.Options{})
		return d, nil
	}
	return nil, fmt.Errorf("backends: unknown backend %q: want one of %v", name, Names)
}

// openMongo connects to uri and opens the backend on the collection
// sessions of a new database, which Close drops.
func (d *DB) openMongo(ctx context.Context, uri string) error {
	client, err := Mongo(uri, d.RoundTrips)
	if err != nil {
		return err
	}
	d.closers = append(d.closers, func() { client.Disconnect(context.Background()) })
	db := client.Database(fmt.Sprintf("bench_%d", time.Now().UnixNano()))
	d.closers = append(d.closers, func() { db.Drop(context.Background()) })
	d.Backend, err = mongostore.New(ctx, db.Collection("sessions"))
	return err
}

// pgStopper crashes PostgreSQL with pgtest's fast shutdown, which ends
// every open connection at once, as a crash does to its clients. Unlike
// FerretDB (see mongostore's package documentation), PostgreSQL applies a
// conditional update atomically, so an update it finishes during the
// shutdown cannot overwrite a newer one.
type pgStopper struct{ p *pgtest.Process }

func (s pgStopper) Kill() error    { return s.p.Stop() }
func (s pgStopper) Restart() error { return s.p.Restart() }

// NotInstalled reports whether err is that of a server whose programs are
// not installed, for which tests skip outside CI.
func NotInstalled(err error) bool {
	return errors.Is(err, redisproc.ErrNotInstalled) || errors.Is(err, pgtest.ErrNoBinaries)
}
