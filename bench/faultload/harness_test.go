package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session/bench/internal/backends"
	"github.com/sessionseal/session/keyrotation"
)

// TestHarness runs a short load over each backend with one key rotation
// and, for each backend with a server, at least one outage: no
// acknowledged change may be lost, and every refused request must be a
// 503. Redis and PostgreSQL are skipped when their programs are not
// installed, unless CI is set.
func TestHarness(t *testing.T) {
	for _, backend := range backends.Names {
		t.Run(backend, func(t *testing.T) {
			rep, err := Run(context.Background(), Config{Backend: backend, Users: 15, Duration: 8 * time.Second, Outage: time.Second})
			if backends.NotInstalled(err) && os.Getenv("CI") == "" {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			rep.Print(&b)
			t.Log("\n" + b.String())
			if rep.Lost != 0 {
				t.Errorf("%d acknowledged changes lost, want 0", rep.Lost)
			}
			if rep.ByClass["other 5xx"] != 0 || rep.ByClass["4xx"] != 0 || rep.AttackBad != 0 {
				t.Errorf("unclean failures: %v, %d attacks not answered 200", rep.ByClass, rep.AttackBad)
			}
			// memory has no server to stop.
			if outages := rep.Outages > 0; outages != (backend != "memory") {
				t.Errorf("%d outages of %s, want none for memory and some otherwise", rep.Outages, rep.Database)
			}
			if rep.Checked != 15 || rep.Rotations == 0 || rep.ByClass["200"] == 0 {
				t.Errorf("the run did not exercise what it should: %d carts checked, %d rotations, %d OK requests",
					rep.Checked, rep.Rotations, rep.ByClass["200"])
			}
		})
	}
}

// TestUnknownBackend checks that a misspelt backend is an error, not a
// run over the default.
func TestUnknownBackend(t *testing.T) {
	_, err := Run(context.Background(), Config{Backend: "mongodb", Users: 1, Duration: time.Second, Outage: time.Second})
	if err == nil || !strings.Contains(err.Error(), `unknown backend "mongodb"`) {
		t.Errorf("got %v, want an unknown backend error", err)
	}
}

// failingDB is a database server whose crash or restart fails.
type failingDB struct{ killErr, restartErr error }

func (d failingDB) Kill() error    { return d.killErr }
func (d failingDB) Restart() error { return d.restartErr }

// TestFaultsThatFailEndTheRun checks that a crash, restart or key rotation
// the harness cannot cause is returned as an error, not a panic that would
// skip the clean-up of devmongo and the servers.
func TestFaultsThatFailEndTheRun(t *testing.T) {
	errDB := errors.New("devmongo failed")
	for _, tc := range []struct {
		name string
		db   failingDB
	}{
		{"kill", failingDB{killErr: errDB}},
		{"restart", failingDB{restartErr: errDB}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &harness{cfg: Config{Outage: time.Millisecond}, db: tc.db}
			_, err := h.outages(context.Background())
			if !errors.Is(err, errDB) {
				t.Errorf("outages: got %v, want %v", err, errDB)
			}
		})
	}
	t.Run("rotation", func(t *testing.T) {
		keys, err := keyrotation.Generate()
		if err != nil {
			t.Fatal(err)
		}
		// With the default propagation delay, Promote refuses a new key.
		h := &harness{cfg: Config{Duration: 4 * time.Millisecond}, keys: keys}
		n, err := h.rotations(context.Background(), nil)
		if !errors.Is(err, keyrotation.ErrUnsafe) || !strings.Contains(err.Error(), "not yet propagated") || n != 0 {
			t.Errorf("rotations: got %d, %v; want 0, an error matching ErrUnsafe for a key not yet propagated", n, err)
		}
	})
}
