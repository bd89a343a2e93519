package devmongo_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/sessionseal/session/devmongo"
)

// postgresURL returns the URL of a PostgreSQL database for the test:
// DATABASE_URL when it is set, otherwise the database postgres of a
// server that the library's command internal/pgtest/cmd/pgserver starts,
// stopped when the test ends. This module does not depend on the library
// (so that it installs alone), hence the command rather than the package.
// Without PostgreSQL's programs the test is skipped, or fails when CI is
// set, as internal/pgtest does.
func postgresURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	bin := filepath.Join(t.TempDir(), "pgserver")
	build := exec.Command("go", "build", "-o", bin, "./internal/pgtest/cmd/pgserver")
	build.Dir = ".." // the library's module
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build pgserver: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // pgserver stops when it closes
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // after the read: Wait closes stdout
	stop := func() error {
		stdin.Close()
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("pgserver still ran 30s after its input closed; killed it")
		}
	}
	if readErr != nil {
		err := stop()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 3 {
			msg := fmt.Sprintf("PostgreSQL is not installed (Debian package postgresql), and DATABASE_URL is not set: %s", stderr.String())
			if os.Getenv("CI") != "" {
				t.Fatal(msg + " (CI is set, so this test fails rather than skip)")
			}
			t.Skip(msg)
		}
		t.Fatalf("pgserver printed no URL: %v, %v; stderr:\n%s", readErr, err, stderr.String())
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("pgserver: %v; stderr:\n%s", err, stderr.String())
		}
	})
	return strings.TrimSpace(line)
}

// TestPostgreSQL runs the server over PostgreSQL: the commands the
// library relies on behave as over SQLite, and the data is in PostgreSQL,
// where a second server finds it, except in a database named pg...,
// as the package documentation warns.
func TestPostgreSQL(t *testing.T) {
	pg := postgresURL(t)
	ctx := t.Context()
	// A database of its own, in case DATABASE_URL's is shared.
	dbName := fmt.Sprintf("devmongo_pg_%d", time.Now().UnixNano())
	// Its schema stays in the PostgreSQL database: FerretDB no longer
	// finds it to drop it.
	lostName := fmt.Sprintf("pgdevmongo_%d", time.Now().UnixNano())

	srv, err := devmongo.Start(ctx, devmongo.Options{PostgreSQLURL: pg})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	client := connect(t, srv.URI())
	db := client.Database(dbName)
	coll := db.Collection("docs")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Errorf("second insert of the same _id: got %v, want a duplicate key error", err)
	}
	res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 2}}}})
	if err != nil || res.MatchedCount != 1 {
		t.Errorf("UpdateOne on _id and n: %+v, %v; want one match", res, err)
	}
	if _, err := client.Database(lostName).Collection("docs").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
		t.Fatalf("InsertOne into %s: %v", lostName, err)
	}
	client.Disconnect(ctx) // before Close, which otherwise waits for open connections
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	srv, err = devmongo.Start(ctx, devmongo.Options{PostgreSQLURL: pg})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	defer srv.Close()
	client = connect(t, srv.URI())
	defer client.Disconnect(ctx)
	coll = client.Database(dbName).Collection("docs")
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("FindOne on a second server over the same database: %v", err)
	}
	if got.N != 2 {
		t.Errorf("found n = %d, want 2", got.N)
	}
	if err := client.Database(dbName).Drop(ctx); err != nil {
		t.Errorf("Drop: %v", err)
	}

	n, err := client.Database(lostName).Collection("docs").CountDocuments(ctx, bson.D{})
	if err != nil || n != 0 {
		t.Errorf("database %s after a restart: count %d, %v; want 0 documents, as the package documentation says", lostName, n, err)
	}
	if _, err := client.Database(lostName).Collection("docs").InsertOne(ctx, bson.D{{Key: "_id", Value: "b"}}); err == nil {
		t.Errorf("InsertOne into %s after a restart succeeded; the package documentation says it fails", lostName)
	}
}

func TestPostgreSQLRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts devmongo.Options
		want string
	}{
		{"with Dir", devmongo.Options{PostgreSQLURL: "postgres://127.0.0.1:1/db", Dir: t.TempDir()}, "Dir and PostgreSQLURL"},
		// Port 1 on loopback: nothing listens, the connection is refused.
		{"unreachable", devmongo.Options{PostgreSQLURL: "postgres://u:secret-password@127.0.0.1:1/db?connect_timeout=5"}, "PostgreSQL"},
		{"not a URL", devmongo.Options{PostgreSQLURL: "postgres://[::1"}, "PostgreSQL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := devmongo.Start(t.Context(), tc.opts)
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-password") {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}
