package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

// forge seals a session for user "admin" under key id of the ring in data,
// as an attacker holding a copy of the ring file can: any key of it, even
// a disabled one, made primary in the attacker's own copy.
func forge(t *testing.T, data []byte, id uint32) string {
	t.Helper()
	keys, err := keyrotation.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Enable(id); err != nil {
		t.Fatal(err)
	}
	if err := keys.Force(id, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r, s := testkit.Load(t, m, nil)
	s.SetUser("admin")
	return testkit.Save(t, m, r, s).Value
}

// opens reports whether the ring in file opens token, and fails t if it
// opens it as anything but the forged admin session.
func opens(t *testing.T, file, token string) bool {
	t.Helper()
	store, err := cookiestore.New(loadRing(t, file))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.Load(ctx, defaultCookieName, token, time.Now())
	if err != nil {
		if !errors.Is(err, session.ErrInvalid) {
			t.Errorf("Load: %v, want an error matching session.ErrInvalid", err)
		}
		return false
	}
	if h, err := payload.ReadHeader(rec.Payload); err != nil || h.User != "admin" {
		t.Errorf("forged session opened for user %q (%v), want admin", h.User, err)
	}
	return true
}

// A key ring file was exposed in the middle of a routine rotation: besides
// the primary key it holds the previous primary key, still active, a new key
// being propagated, and a key disabled long ago. The attacker forges an
// admin session under each. Disabling only "the leaked key" leaves the
// others opening forged sessions, which servers then re-seal under the new
// primary key, beyond the reach of any later disable. sessionkeys emergency
// must refuse every one of them in one step.
func TestEmergencyRotationAfterFileLeak(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.json")
	ring, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	retired, err := ring.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Disable(retired); err != nil {
		t.Fatal(err)
	}
	previous := ring.Keys()[0].ID
	current, err := ring.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Force(current, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	next, err := ring.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	leaked, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]uint32{"retired": retired, "previous": previous, "current": current, "next": next}
	forged := make(map[string]string)
	for name, id := range old {
		forged[name] = forge(t, leaked, id)
	}

	// What the procedure of one key does: add, promote --force, disable
	// --force the leaked (primary) key.
	oneKey := filepath.Join(dir, "one-key.json")
	if err := os.WriteFile(oneKey, leaked, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, []string{oneKey}, "add", oneKey); r.code != 0 {
		t.Fatalf("add: %s", r.stderr)
	}
	added := newestKey(t, oneKey, old)
	for _, args := range [][]string{
		{"promote", "--force", oneKey, strconv.FormatUint(uint64(added), 10)},
		{"disable", "--force", oneKey, strconv.FormatUint(uint64(current), 10)},
	} {
		if r := cli(t, []string{oneKey}, args...); r.code != 0 {
			t.Fatalf("%s: %s", strings.Join(args, " "), r.stderr)
		}
	}
	if !opens(t, oneKey, forged["previous"]) {
		t.Error("after the procedure of one key, the previous primary key refuses forged sessions; the negative case shows nothing")
	}

	r := cli(t, []string{file}, "emergency", file)
	if r.code != 0 {
		t.Fatalf("emergency: exit code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("stderr = %q, want nothing", r.stderr)
	}
	keys := loadRing(t, file)
	for name, id := range old {
		if got := states(keys)[id]; got != keyrotation.Disabled {
			t.Errorf("%s key %d: state %v, want disabled", name, id, got)
		}
		if opens(t, file, forged[name]) {
			t.Errorf("after emergency, a session forged under the %s key %d opens", name, id)
		}
		s := strconv.FormatUint(uint64(id), 10)
		want := "disabled key " + s
		if id == retired {
			want = "key " + s + " was already disabled"
		}
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not say %q:\n%s", want, r.stdout)
		}
	}
	fresh := newestKey(t, file, old)
	if keys.Keys()[0].ID != fresh || len(keys.Keys()) != len(old)+1 {
		t.Errorf("keys after emergency = %+v, want the old keys disabled and a new primary key", keys.Keys())
	}
	for _, want := range []string{"new primary key " + strconv.FormatUint(uint64(fresh), 10), "copy " + file + " to every server"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not say %q:\n%s", want, r.stdout)
		}
	}
	// The new primary key seals sessions that open.
	genuine, _ := cookieToken(t, keys, session.Options{})
	store, err := cookiestore.New(loadRing(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, defaultCookieName, genuine, time.Now()); err != nil {
		t.Errorf("a session sealed under the new primary key: %v", err)
	}
}

// promote --force is not the answer to a leak, and must not say it is.
func TestPromoteForcePointsToEmergency(t *testing.T) {
	keys, file := newRing(t)
	id, err := keys.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	r := cli(t, []string{file}, "promote", "--force", file, strconv.FormatUint(uint64(id), 10))
	if r.code != 0 {
		t.Fatalf("promote --force: %s", r.stderr)
	}
	if strings.Contains(r.stdout, "sessionkeys disable") {
		t.Errorf("promote --force suggests disabling one key:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "sessionkeys emergency "+file) {
		t.Errorf("promote --force does not point to sessionkeys emergency:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"help"}, {"promote", "-h"}, {"emergency", "-h"}} {
		r := cli(t, []string{file}, args...)
		if !strings.Contains(r.stdout, "sessionkeys emergency FILE") {
			t.Errorf("sessionkeys %s does not show the emergency procedure:\n%s", strings.Join(args, " "), r.stdout)
		}
		if strings.Contains(r.stdout, "disable the leaked key") {
			t.Errorf("sessionkeys %s still tells to disable one leaked key:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
}

// newestKey returns the one key of the ring in file that is not in old.
func newestKey(t *testing.T, file string, old map[string]uint32) uint32 {
	t.Helper()
	var found []uint32
	for _, k := range loadRing(t, file).Keys() {
		known := false
		for _, id := range old {
			known = known || id == k.ID
		}
		if !known {
			found = append(found, k.ID)
		}
	}
	if len(found) != 1 {
		t.Fatalf("new keys %v, want one", found)
	}
	return found[0]
}

// states returns the state of each key of keys by ID.
func states(keys *keyrotation.Keyring) map[uint32]keyrotation.State {
	m := make(map[uint32]keyrotation.State)
	for _, k := range keys.Keys() {
		m[k.ID] = k.State
	}
	return m
}
