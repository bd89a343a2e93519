package backends

import (
	"context"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/sessionseal/session/serverstore"
)

// TestRoundTripsCounted opens each backend that has a client and checks
// that one Get of a missing record is counted as the one round trip it
// is, under the command's name.
func TestRoundTripsCounted(t *testing.T) {
	for _, tc := range []struct{ name, command string }{
		{"redis", "hgetall"},
		{"postgres", "select"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(t.Context(), tc.name, Options{})
			if NotInstalled(err) && os.Getenv("CI") == "" {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Server == nil {
				t.Errorf("%s: no server to crash", db.Name)
			}
			// Once first, so that pgx has prepared the statement.
			key := make([]byte, 32)
			if _, err := db.Backend.Get(t.Context(), key); !errors.Is(err, serverstore.ErrNotFound) {
				t.Fatalf("Get of a missing record: %v, want ErrNotFound", err)
			}
			before := db.RoundTrips.Counts()
			if _, err := db.Backend.Get(t.Context(), key); !errors.Is(err, serverstore.ErrNotFound) {
				t.Fatalf("Get of a missing record: %v, want ErrNotFound", err)
			}
			if got, want := Since(before, db.RoundTrips.Counts()), map[string]int64{tc.command: 1}; !maps.Equal(got, want) {
				t.Errorf("one Get: round trips %v, want %v", got, want)
			}
		})
	}
}

func TestOpenUnknown(t *testing.T) {
	_, err := Open(context.Background(), "mongodb", Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown backend "mongodb"`) {
		t.Errorf("got %v, want an unknown backend error", err)
	}
}

func TestMemoryHasNoServer(t *testing.T) {
	db, err := Open(context.Background(), "memory", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Server != nil || db.Backend == nil || db.RoundTrips.Total() != 0 {
		t.Errorf("memory: server %v, backend %v, %d round trips; want no server, a backend, none", db.Server, db.Backend, db.RoundTrips.Total())
	}
}
