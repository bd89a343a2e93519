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

	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/serverstore"
)

// stores are the values of config.Store, the default first.
var stores = []string{"mongo", "redis", "postgres", "memory"}

// database is the server half of the hybrid store: a backend and what it
// takes to let go of its connections.
type database struct {
	name    string        // how the pages name it: "MongoDB", "Redis", "PostgreSQL" or "memory"
	client  *mongo.Client // the MongoDB client; nil for the other stores
	backend serverstore.Backend
	close   func(ctx context.Context) error
}

// openDatabase connects to the store that cfg names and returns a backend
// over it. Errors never quote a URL, which may hold a password.
func openDatabase(ctx context.Context, cfg config) (*database, error) {
	switch cfg.Store {
	case "", "mongo":
		client, err := mongo.Connect(options.Client().ApplyURI(cfg.MongoURI).SetServerSelectionTimeout(5 * time.Second))
		if err != nil {
			return nil, fmt.Errorf("shop: connecting to MongoDB: %w", err)
		}
		b, err := mongostore.New(ctx, client.Database(cfg.Database).Collection("sessions"))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("shop: %w", err), client.Disconnect(ctx))
		}
		return &database{name: "MongoDB", client: client, backend: b, close: client.Disconnect}, nil
	case "redis":
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, errors.New("shop: the Redis URL does not parse: want redis://host:port/db")
		}
		opts.ContextTimeoutEnabled = true // without it go-redis ignores the store's deadlines
		client := redis.NewClient(opts)
		if err := client.Ping(ctx).Err(); err != nil {
			return nil, errors.Join(fmt.Errorf("shop: connecting to Redis: %w", err), client.Close())
		}
		b, err := redisstore.New(client, redisstore.Options{})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("shop: %w", err), client.Close())
		}
		return &database{name: "Redis", backend: b, close: func(context.Context) error { return client.Close() }}, nil
	case "postgres":
		poolCfg, err := pgxpool.ParseConfig(cfg.PostgresURL)
		if err != nil {
			return nil, errors.New("shop: the PostgreSQL URL does not parse: want postgres://user@host:port/db")
		}
		pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
		if err != nil {
			return nil, fmt.Errorf("shop: connecting to PostgreSQL: %w", err)
		}
		b, err := pgstore.New(ctx, pool, pgstore.Options{})
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("shop: %w", err)
		}
		return &database{name: "PostgreSQL", backend: b, close: func(context.Context) error { pool.Close(); return nil }}, nil
	case "memory":
		return &database{name: "memory", backend: memstore.New(memstore.Options{}), close: func(context.Context) error { return nil }}, nil
	}
	return nil, fmt.Errorf("shop: unknown store %q: want one of %v", cfg.Store, stores)
}
