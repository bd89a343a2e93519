package keyrotation_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

// midRotation returns a ring in the middle of a routine rotation, as an
// exposed copy of its file would hold it: a key disabled in an earlier
// rotation, the previous primary key still active for the sessions it
// sealed, the primary key, and a new key being propagated.
func midRotation(t *testing.T) *keyrotation.Keyring {
	t.Helper()
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
	current, err := ring.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Force(current, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Add(); err != nil {
		t.Fatal(err)
	}
	return ring
}

// A leaked ring file exposes every key in it, not only the primary one:
// EmergencyRotate must leave none of them opening anything, in one change.
func TestEmergencyRotateDisablesEveryKey(t *testing.T) {
	ring := midRotation(t)
	if err := ring.SetPropagationDelay(3 * time.Hour); err != nil {
		t.Fatal(err)
	}
	before := ring.Keys()
	var wantDisabled []uint32
	for _, k := range before {
		if k.State != keyrotation.Disabled {
			wantDisabled = append(wantDisabled, k.ID)
		}
	}

	id, disabled, err := ring.EmergencyRotate()
	if err != nil {
		t.Fatal(err)
	}
	checkRing(t, ring)
	if got := ring.Keys()[0].ID; got != id {
		t.Errorf("primary key = %d, want the new key %d", got, id)
	}
	if !slices.Equal(disabled, wantDisabled) {
		t.Errorf("disabled = %v, want %v (the primary and active keys, in Keys order)", disabled, wantDisabled)
	}
	after := ring.Keys()
	if len(after) != len(before)+1 {
		t.Fatalf("%d keys after, want %d", len(after), len(before)+1)
	}
	if k := after[0]; k.ID != id || k.Promoted.IsZero() || !k.Enabled.IsZero() {
		t.Errorf("new key = %+v, want primary %d with a promotion time", k, id)
	}
	for _, k := range before {
		if k.ID == id {
			t.Fatalf("new key %d reuses an old ID", id)
		}
		if got := states(ring)[k.ID]; got != keyrotation.Disabled {
			t.Errorf("old key %d: state %v, want disabled", k.ID, got)
		}
		for _, p := range purposes {
			if _, err := ring.Cipher(p, k.ID); !errors.Is(err, keyrotation.ErrUnknownKey) {
				t.Errorf("Cipher(%v, old key %d): %v, want ErrUnknownKey", p, k.ID, err)
			}
			if _, err := ring.MACKey(p, k.ID); !errors.Is(err, keyrotation.ErrUnknownKey) {
				t.Errorf("MACKey(%v, old key %d): %v, want ErrUnknownKey", p, k.ID, err)
			}
		}
		if _, err := ring.Ed25519Key(k.ID); !errors.Is(err, keyrotation.ErrUnknownKey) {
			t.Errorf("Ed25519Key(old key %d): %v, want ErrUnknownKey", k.ID, err)
		}
	}
	b := jwks(t, ring)
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].Kid != strconv.FormatUint(uint64(id), 10) {
		t.Errorf("JWKS = %s, want only the new key %d", b, id)
	}
	if got := propagationDelay(ring); got != 3*time.Hour {
		t.Errorf("propagation delay = %v, want it kept (3h)", got)
	}
	primary, c, err := ring.Primary(keyrotation.PurposeCookie)
	if err != nil || primary != id {
		t.Fatalf("Primary = %d, %v; want key %d", primary, err, id)
	}
	nonce := make([]byte, 12)
	if _, err := c.Open(nil, nonce, c.Seal(nil, nonce, []byte("v"), nil), nil); err != nil {
		t.Errorf("the new primary key does not open what it sealed: %v", err)
	}
}

// Readers see the ring before the emergency rotation or after it, never a
// new primary key beside an exposed key that still opens.
func TestEmergencyRotateIsOneChange(t *testing.T) {
	ring := midRotation(t)
	first := ring.Keys()[0].ID
	const rotations = 50
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				keys := ring.Keys()
				if keys[0].ID == first {
					continue
				}
				for _, k := range keys[1:] {
					if k.State != keyrotation.Disabled {
						t.Errorf("primary key %d beside the %v key %d", keys[0].ID, k.State, k.ID)
						return
					}
				}
			}
		})
	}
	for range rotations {
		if _, _, err := ring.EmergencyRotate(); err != nil {
			t.Error(err)
			break
		}
	}
	close(done)
	wg.Wait()
	checkRing(t, ring)
}
