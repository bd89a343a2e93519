package devmongo_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sessionseal/session/devmongo"
)

// connect returns a client for uri, disconnected when t ends.
func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatalf("mongo.Connect(%q): %v", uri, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		client.Disconnect(ctx)
	})
	return client
}

func TestServer(t *testing.T) {
	ctx := t.Context()
	srv, err := devmongo.Start(ctx, devmongo.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if want := "mongodb://" + srv.Addr() + "/"; srv.URI() != want {
		t.Errorf("URI() = %q, want %q", srv.URI(), want)
	}
	if strings.HasSuffix(srv.Addr(), ":0") {
		t.Errorf("Addr() = %q, want the real port", srv.Addr())
	}
	client := connect(t, srv.URI())
	defer client.Disconnect(ctx) // before Close, which otherwise waits for open connections
	coll := client.Database("devmongo_test").Collection("docs")

	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&got); err != nil {
		t.Fatalf("FindOne: %v", err)
	}
	if got.N != 1 {
		t.Errorf("found n = %d, want 1", got.N)
	}

	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Errorf("second insert of the same _id: got %v, want a duplicate key error", err)
	}

	// The library's MongoDB store tries a TTL index and falls back to a
	// cleanup loop when the server refuses it; FerretDB 1.24 refuses it.
	_, err = coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expiresAt", Value: 1}},
		Options: options.Index().SetExpireAfterSeconds(0),
	})
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 238 {
		t.Errorf("TTL index: got %v, want a command error with code 238 (NotImplemented)", err)
	}
}

func TestDirKeepsData(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	doc := bson.D{{Key: "_id", Value: "kept"}}

	srv, err := devmongo.Start(ctx, devmongo.Options{Dir: dir})
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}
	client := connect(t, srv.URI())
	if _, err := client.Database("devmongo_test").Collection("docs").InsertOne(ctx, doc); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	client.Disconnect(ctx)
	if err := srv.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Close removed the caller's Dir: %v", err)
	}

	srv, err = devmongo.Start(ctx, devmongo.Options{Dir: dir})
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	defer srv.Close()
	client = connect(t, srv.URI())
	defer client.Disconnect(ctx)
	n, err := client.Database("devmongo_test").Collection("docs").CountDocuments(ctx, doc)
	if err != nil || n != 1 {
		t.Errorf("after a restart on the same Dir: count %d, %v; want 1", n, err)
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{
		":27017",
		"0.0.0.0:0",
		"[::]:0",
		"192.0.2.1:27017",
		"example.com:27017",
		"127.0.0.1", // no port
	} {
		t.Run(addr, func(t *testing.T) {
			srv, err := devmongo.Start(t.Context(), devmongo.Options{Addr: addr})
			if err == nil {
				srv.Close()
				t.Fatalf("Start(Addr: %q) succeeded, want an error", addr)
			}
		})
	}
}

func TestStartAddressInUse(t *testing.T) {
	srv, err := devmongo.Start(t.Context(), devmongo.Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer srv.Close()
	second, err := devmongo.Start(t.Context(), devmongo.Options{Addr: srv.Addr()})
	if !errors.Is(err, syscall.EADDRINUSE) {
		if second != nil {
			second.Close()
		}
		t.Errorf("second Start on %s: got %v, want EADDRINUSE", srv.Addr(), err)
	}
}

func TestCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "devmongo")
	build := exec.Command("go", "build", "-o", bin, "./cmd/devmongo")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	var stderr strings.Builder
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start devmongo: %v", err)
	}
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	// Wait only after the read: it closes the stdout pipe.
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	// stop ends the process if it still runs and returns its stderr, which
	// is safe to read only once Wait has returned.
	stop := func() string {
		cmd.Process.Kill() // a no-op when it has exited already
		<-exited
		return stderr.String()
	}
	defer stop()
	if readErr != nil {
		t.Fatalf("reading the URI line: %v; stderr:\n%s", readErr, stop())
	}
	uri := strings.TrimSuffix(line, "\n")
	if !strings.HasPrefix(uri, "mongodb://127.0.0.1:") || strings.HasSuffix(uri, ":0/") {
		t.Fatalf("first line %q, want mongodb://127.0.0.1:PORT/", uri)
	}

	ctx := t.Context()
	client := connect(t, uri)
	if err := client.Database("devmongo_test").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		t.Fatalf("ping %s: %v", uri, err)
	}
	client.Disconnect(ctx)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("devmongo after SIGTERM: %v, want exit status 0; stderr:\n%s", waitErr, stop())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("devmongo still running 10s after SIGTERM; stderr:\n%s", stop())
	}
}
