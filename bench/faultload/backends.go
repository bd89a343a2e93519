package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/serverstore"
)

// Backends are the values of Config.Backend.
var Backends = []string{"mongo", "redis", "postgres", "memory"}

// database is the backend under test and the server behind it.
type database struct {
	name    string  // how the report names it
	server  crasher // nil for memory: there is no server to stop
	backend serverstore.Backend
	closers []func() // run in reverse order by close
}

func (d *database) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
}

// openDatabase starts the server of kind on loopback and returns a backend
// over it. On error it has stopped whatever it started.
func openDatabase(ctx context.Context, kind string) (_ *database, err error) {
	d := &database{}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	switch kind {
	case "mongo":
		d.name = "MongoDB"
		db, uri, err := mongotest.StartProcess()
		if err != nil {
			return nil, err
		}
		d.server = db
		d.closers = append(d.closers, func() { db.Close() })
		client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(time.Second))
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, func() { client.Disconnect(context.Background()) })
		d.backend, err = mongostore.New(ctx, client.Database("faultload").Collection("sessions"))
		return d, err
	case "redis":
		d.name = "Redis"
		srv, err := startRedis()
		if err != nil {
			return nil, err
		}
		d.server = srv
		d.closers = append(d.closers, func() { srv.Close() })
		// go-redis logs each failed dial; every outage makes many.
		redis.SetLogger(discardLog{})
		client := redis.NewClient(&redis.Options{Addr: srv.addr, ContextTimeoutEnabled: true})
		d.closers = append(d.closers, func() { client.Close() })
		d.backend, err = redisstore.New(client, redisstore.Options{})
		return d, err
	case "postgres":
		d.name = "PostgreSQL"
		srv, url, err := pgtest.StartProcess()
		if err != nil {
			return nil, err
		}
		d.server = pgStopper{srv}
		d.closers = append(d.closers, func() { srv.Close() })
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return nil, err
		}
		d.closers = append(d.closers, pool.Close)
		d.backend, err = pgstore.New(ctx, pool, pgstore.Options{})
		return d, err
	case "memory":
		d.name = "memory"
		d.backend = memstore.New(memstore.Options{})
		return d, nil
	}
	return nil, fmt.Errorf("unknown backend %q: want one of %v", kind, Backends)
}

// pgStopper crashes PostgreSQL with pgtest's fast shutdown, which ends
// every open connection at once, as a crash does to its clients. Unlike
// FerretDB (see the package documentation), PostgreSQL applies a
// conditional update atomically, so an update it finishes during the
// shutdown cannot overwrite a newer one.
type pgStopper struct{ p *pgtest.Process }

func (s pgStopper) Kill() error    { return s.p.Stop() }
func (s pgStopper) Restart() error { return s.p.Restart() }

// notInstalled matches the errors of a server whose programs are not
// installed, for which the tests skip.
func notInstalled(err error) bool {
	return errors.Is(err, errNoRedis) || errors.Is(err, pgtest.ErrNoBinaries)
}

// discardLog is a go-redis logger that logs nothing.
type discardLog struct{}

func (discardLog) Printf(context.Context, string, ...any) {}
