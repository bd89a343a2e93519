package keyrotation_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sessionseal/session/internal/observe"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

// TestWatchFileReportsReloads checks that a watched ring reports each
// reload, and each failed one, to the Observer the stores handed it.
func TestWatchFileReportsReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	file, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := file.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k, err := keyrotation.WatchFile(ctx, path, time.Millisecond, func(error) {})
	if err != nil {
		t.Fatal(err)
	}
	obs := new(testkit.Observer)
	box := &observe.Box{O: obs}
	observe.AttachRing(k, box)
	observe.AttachRing(k, box) // the same Observer again: nothing new
	if _, rings := obs.TakeOthers(); len(rings) != 1 || rings[0] != k {
		t.Fatalf("KeyringObserved got %v, want the watched ring once", rings)
	}

	var got []string
	wait := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !slices.Contains(got, want); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("events %q, want %q", got, want)
			}
			e, _ := obs.TakeOthers()
			got = append(got, e...)
		}
	}
	if _, err := file.Add(); err != nil { // an active key: the same primary
		t.Fatal(err)
	}
	if err := file.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	wait("reload new primary false, failed false")
	next, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := next.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	wait("reload new primary true, failed false")
	// Replaced whole, as WriteFile does: written in place, the file could
	// be read while empty, a second failed reload.
	bad := path + ".tmp"
	if err := os.WriteFile(bad, []byte("{not a key ring"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bad, path); err != nil {
		t.Fatal(err)
	}
	wait("reload new primary false, failed true")
	if want := []string{"reload new primary false, failed false", "reload new primary true, failed false",
		"reload new primary false, failed true"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}
