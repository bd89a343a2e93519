package mongotest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/pgtest"
)

// mongoM runs the tests through mongotest.Run, inside pgtest.Run.
type mongoM struct{ m *testing.M }

func (w mongoM) Run() int { return mongotest.Run(w.m) }

func TestMain(m *testing.M) { os.Exit(pgtest.Run(mongoM{m})) }

type doc struct {
	ID string `bson:"_id"`
	N  int    `bson:"n"`
}

func TestDB(t *testing.T) {
	ctx := t.Context()
	a := mongotest.DB(t)
	b := mongotest.DB(t)
	if a.Name() == b.Name() {
		t.Fatalf("two DB calls returned the same database %q", a.Name())
	}
	for _, db := range []*mongo.Database{a, b} {
		if !regexp.MustCompile(`^TestDB_[0-9a-f]{12}$`).MatchString(db.Name()) {
			t.Errorf("database name %q, want TestDB_ and 12 hex digits", db.Name())
		}
	}

	if _, err := a.Collection("c").InsertOne(ctx, doc{ID: "x", N: 1}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	var got doc
	if err := a.Collection("c").FindOne(ctx, bson.D{{Key: "_id", Value: "x"}}).Decode(&got); err != nil {
		t.Fatalf("FindOne: %v", err)
	}
	if want := (doc{ID: "x", N: 1}); got != want {
		t.Errorf("found %+v, want %+v", got, want)
	}
	if n, err := b.Collection("c").CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Errorf("the other database: count %d, %v; want 0, nil", n, err)
	}
}

func TestDBNames(t *testing.T) {
	for _, name := range []string{
		"sub/test with spaces.and.dots$",
		"a_very_long_subtest_name_that_goes_on_and_on_past_every_limit_there_is",
	} {
		t.Run(name, func(t *testing.T) {
			db := mongotest.DB(t)
			if !regexp.MustCompile(`^[a-zA-Z0-9_-]{1,38}_[0-9a-f]{12}$`).MatchString(db.Name()) {
				t.Errorf("database name %q, want at most 38 of [a-zA-Z0-9_-], _ and 12 hex digits", db.Name())
			}
			// The server accepts the name: it creates the database.
			if _, err := db.Collection("c").InsertOne(t.Context(), doc{ID: "x"}); err != nil {
				t.Errorf("InsertOne into %q: %v", db.Name(), err)
			}
		})
	}
}

func TestURIAndClient(t *testing.T) {
	if mongotest.URI(t) == "" {
		t.Error("URI is empty")
	}
	if mongotest.Client(t) != mongotest.Client(t) {
		t.Error("Client returned two different clients")
	}
}

// TestStopRestart is also the reference for what an outage looks like to
// the driver; the package doc describes it.
func TestStopRestart(t *testing.T) {
	coll := mongotest.DB(t).Collection("c")
	if _, err := coll.InsertOne(t.Context(), doc{ID: "before", N: 1}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}

	mongotest.Stop(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "before"}}).Err()
	var sse topology.ServerSelectionError
	if !mongo.IsNetworkError(err) && !errors.As(err, &sse) {
		t.Errorf("FindOne while stopped: got %v (%T), want a network or server selection error", err, err)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("FindOne while stopped took %v, want at most the 5s server selection timeout", d)
	}
	short, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = coll.InsertOne(short, doc{ID: "during"})
	if !mongo.IsNetworkError(err) && !errors.As(err, &sse) {
		t.Errorf("InsertOne while stopped: got %v (%T), want a network or server selection error", err, err)
	}

	mongotest.Restart(t)
	var got doc
	if err := coll.FindOne(t.Context(), bson.D{{Key: "_id", Value: "before"}}).Decode(&got); err != nil {
		t.Fatalf("FindOne after Restart: %v", err)
	}
	if got.N != 1 {
		t.Errorf("after Restart: n = %d, want 1", got.N)
	}
}

// TestStopWithoutRestart leaves the restart to Stop's cleanup; the test
// after it needs a running server.
func TestStopWithoutRestart(t *testing.T) {
	t.Run("stop", func(t *testing.T) {
		mongotest.Stop(t)
	})
	if _, err := mongotest.DB(t).Collection("c").InsertOne(t.Context(), doc{ID: "x"}); err != nil {
		t.Errorf("InsertOne after a subtest stopped the server: %v", err)
	}
}

// TestPostgreSQLProcess runs devmongo over PostgreSQL: the data is in the
// database, where a second process finds it.
func TestPostgreSQLProcess(t *testing.T) {
	pg := pgtest.URL(t)
	ctx := t.Context()
	for i, step := range []func(*mongo.Collection) error{
		func(c *mongo.Collection) error {
			_, err := c.InsertOne(ctx, doc{ID: "kept", N: 7})
			return err
		},
		func(c *mongo.Collection) error {
			var got doc
			if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: "kept"}}).Decode(&got); err != nil {
				return err
			}
			if got.N != 7 {
				return fmt.Errorf("found n = %d, want 7", got.N)
			}
			return nil
		},
	} {
		p, uri, err := mongotest.StartPostgreSQLProcess(pg)
		if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		client, err := mongo.Connect(options.Client().ApplyURI(uri))
		if err != nil {
			p.Close()
			t.Fatal(err)
		}
		err = step(client.Database("mongotest_pg").Collection("c"))
		client.Disconnect(ctx)
		if cerr := p.Close(); cerr != nil {
			t.Errorf("process %d: Close: %v", i, cerr)
		}
		if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
	}
}
