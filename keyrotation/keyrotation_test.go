package keyrotation_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

var purposes = []keyrotation.Purpose{keyrotation.PurposeCookie, keyrotation.PurposeRecord, keyrotation.PurposeJWT}

// checkRing fails t unless k keeps the ring's invariants: at least one key,
// exactly one primary key listed first and reported by Primary, IDs not 0
// and unique, and Keys in order.
func checkRing(t *testing.T, k *keyrotation.Keyring) {
	t.Helper()
	if err := ringError(k); err != nil {
		t.Fatal(err)
	}
}

// ringError is checkRing for goroutines that cannot call t.Fatal.
func ringError(k *keyrotation.Keyring) error {
	keys := k.Keys()
	if len(keys) == 0 {
		return errors.New("ring has no keys")
	}
	if got, want := keys[0].State, keyrotation.Primary; got != want {
		return fmt.Errorf("first key is %v, want %v", got, want)
	}
	if got, _, err := k.Primary(keyrotation.PurposeCookie); err != nil || got != keys[0].ID {
		return fmt.Errorf("Primary() = %d, %v, want %d (first of Keys)", got, err, keys[0].ID)
	}
	seen := make(map[uint32]bool)
	for i, key := range keys {
		if key.ID == 0 || seen[key.ID] {
			return fmt.Errorf("key %d: id %d is 0 or repeated", i, key.ID)
		}
		seen[key.ID] = true
		if i == 0 {
			continue
		}
		prev := keys[i-1]
		if key.State == keyrotation.Primary {
			return fmt.Errorf("key %d: second primary key", i)
		}
		if key.State < prev.State || key.State == prev.State &&
			(key.Created.Before(prev.Created) || key.Created.Equal(prev.Created) && key.ID < prev.ID) {
			return fmt.Errorf("key %d (%v, %v, %d) listed after key %d (%v, %v, %d)",
				i, key.State, key.Created, key.ID, i-1, prev.State, prev.Created, prev.ID)
		}
	}
	return nil
}

// states returns the state of each key of k by ID.
func states(k *keyrotation.Keyring) map[uint32]keyrotation.State {
	m := make(map[uint32]keyrotation.State)
	for _, key := range k.Keys() {
		m[key.ID] = key.State
	}
	return m
}

// keyInfo returns the description of key id in k.
func keyInfo(t *testing.T, k *keyrotation.Keyring, id uint32) keyrotation.KeyInfo {
	t.Helper()
	for _, info := range k.Keys() {
		if info.ID == id {
			return info
		}
	}
	t.Fatalf("no key %d in the ring", id)
	return keyrotation.KeyInfo{}
}

// reparse marshals k and parses the result, as a write and a load of the
// ring's file would, and returns both.
func reparse(t *testing.T, k *keyrotation.Keyring) ([]byte, *keyrotation.Keyring) {
	t.Helper()
	data, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := keyrotation.Parse(data)
	if err != nil {
		t.Fatalf("Parse of Marshal's output: %v\n%s", err, data)
	}
	return data, parsed
}

// sameKeys reports whether a and b describe the same keys, ignoring seal
// counts.
func sameKeys(a, b []keyrotation.KeyInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].State != b[i].State ||
			!a[i].Created.Equal(b[i].Created) || !a[i].Promoted.Equal(b[i].Promoted) ||
			!a[i].Enabled.Equal(b[i].Enabled) || !a[i].PromotableAt.Equal(b[i].PromotableAt) ||
			!a[i].Demoted.Equal(b[i].Demoted) || !a[i].DisableableAt.Equal(b[i].DisableableAt) {
			return false
		}
	}
	return true
}

// propagationDelay returns the propagation delay of k.
func propagationDelay(k *keyrotation.Keyring) time.Duration {
	d, _ := k.Waits()
	return d
}

func nonce(t testing.TB) []byte {
	t.Helper()
	n := make([]byte, 12)
	if _, err := rand.Read(n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGenerate(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	checkRing(t, k)
	keys := k.Keys()
	if got, want := len(keys), 1; got != want {
		t.Fatalf("len(Keys()) = %d, want %d", got, want)
	}
	key := keys[0]
	if key.Created.IsZero() || key.Created.Location() != time.UTC || key.Created.Nanosecond() != 0 {
		t.Errorf("Created = %v, want a UTC time in whole seconds", key.Created)
	}
	if !key.Promoted.Equal(key.Created) {
		t.Errorf("Promoted = %v, want Created %v", key.Promoted, key.Created)
	}
	if got, want := k.String(), fmt.Sprintf("keyrotation.Keyring{primary: %d, keys: 1}", key.ID); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%#v", k), k.String(); got != want {
		t.Errorf("%%#v = %q, want %q", got, want)
	}
	for _, p := range purposes {
		id, c, err := k.Primary(p)
		if err != nil {
			t.Fatalf("Primary(%v): %v", p, err)
		}
		if got, want := id, key.ID; got != want {
			t.Errorf("Primary(%v) ID = %d, want %d", p, got, want)
		}
		// A 12-byte nonce, and a 16-byte tag.
		if got, want := len(c.Seal(nil, nonce(t), []byte("value"), nil)), len("value")+16; got != want {
			t.Errorf("Seal with a 12-byte nonce: %d bytes, want %d", got, want)
		}
	}
}

// ring returns a ring with a primary, an active and a disabled key, and
// their IDs.
func ring(t *testing.T) (k *keyrotation.Keyring, primary, active, disabled uint32) {
	t.Helper()
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	// One process plays every server: nothing to wait for.
	if err := k.SetPropagationDelay(0); err != nil {
		t.Fatal(err)
	}
	active, err = k.Add()
	if err != nil {
		t.Fatal(err)
	}
	disabled, err = k.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Disable(disabled); err != nil {
		t.Fatal(err)
	}
	checkRing(t, k)
	return k, k.Keys()[0].ID, active, disabled
}

func TestAdd(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	primary := k.Keys()[0].ID
	id, err := k.Add()
	if err != nil {
		t.Fatal(err)
	}
	checkRing(t, k)
	if got, want := states(k), map[uint32]keyrotation.State{primary: keyrotation.Primary, id: keyrotation.Active}; !maps.Equal(got, want) {
		t.Errorf("states after Add = %v, want %v", got, want)
	}
	if got, want := k.Keys()[0].ID, primary; got != want {
		t.Errorf("primary after Add = %d, want %d", got, want)
	}
}

func TestOperations(t *testing.T) {
	const (
		P = keyrotation.Primary
		A = keyrotation.Active
		D = keyrotation.Disabled
		X = keyrotation.State(0) // removed
	)
	tests := []struct {
		name string
		op   func(k *keyrotation.Keyring, id uint32) error
		key  string // "primary", "active", "disabled" or "missing"
		err  error
		want [3]keyrotation.State // of the primary, active and disabled keys
	}{
		{"promote active", (*keyrotation.Keyring).Promote, "active", nil, [3]keyrotation.State{A, P, D}},
		{"promote primary", (*keyrotation.Keyring).Promote, "primary", nil, [3]keyrotation.State{P, A, D}},
		{"promote disabled", (*keyrotation.Keyring).Promote, "disabled", keyrotation.ErrUnsafe, [3]keyrotation.State{P, A, D}},
		{"promote missing", (*keyrotation.Keyring).Promote, "missing", keyrotation.ErrUnknownKey, [3]keyrotation.State{P, A, D}},
		{"disable active", (*keyrotation.Keyring).Disable, "active", nil, [3]keyrotation.State{P, D, D}},
		{"disable primary", (*keyrotation.Keyring).Disable, "primary", keyrotation.ErrUnsafe, [3]keyrotation.State{P, A, D}},
		{"disable disabled", (*keyrotation.Keyring).Disable, "disabled", nil, [3]keyrotation.State{P, A, D}},
		{"disable missing", (*keyrotation.Keyring).Disable, "missing", keyrotation.ErrUnknownKey, [3]keyrotation.State{P, A, D}},
		{"enable disabled", (*keyrotation.Keyring).Enable, "disabled", nil, [3]keyrotation.State{P, A, A}},
		{"enable active", (*keyrotation.Keyring).Enable, "active", nil, [3]keyrotation.State{P, A, D}},
		{"enable primary", (*keyrotation.Keyring).Enable, "primary", nil, [3]keyrotation.State{P, A, D}},
		{"enable missing", (*keyrotation.Keyring).Enable, "missing", keyrotation.ErrUnknownKey, [3]keyrotation.State{P, A, D}},
		{"remove disabled", (*keyrotation.Keyring).Remove, "disabled", nil, [3]keyrotation.State{P, A, X}},
		{"remove active", (*keyrotation.Keyring).Remove, "active", keyrotation.ErrUnsafe, [3]keyrotation.State{P, A, D}},
		{"remove primary", (*keyrotation.Keyring).Remove, "primary", keyrotation.ErrUnsafe, [3]keyrotation.State{P, A, D}},
		{"remove missing", (*keyrotation.Keyring).Remove, "missing", keyrotation.ErrUnknownKey, [3]keyrotation.State{P, A, D}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, primary, active, disabled := ring(t)
			id := map[string]uint32{"primary": primary, "active": active, "disabled": disabled, "missing": 0}[tt.key]
			err := tt.op(k, id)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if err != nil {
				if msg := err.Error(); !strings.HasPrefix(msg, "keyrotation: ") || !strings.Contains(msg, fmt.Sprint(id)) {
					t.Errorf("error %q does not start with keyrotation: and name key %d", msg, id)
				}
			}
			checkRing(t, k)
			got := states(k)
			for i, id := range []uint32{primary, active, disabled} {
				if got[id] != tt.want[i] {
					t.Errorf("states = %v, want %v for %d, %d, %d", got, tt.want, primary, active, disabled)
					break
				}
			}
			wantLen := 0
			for _, s := range tt.want {
				if s != X {
					wantLen++
				}
			}
			if len(got) != wantLen {
				t.Errorf("ring has %d keys, want %d", len(got), wantLen)
			}
		})
	}
}

func TestPromoteTimes(t *testing.T) {
	k, primary, active, _ := ring(t)
	before := k.Keys()
	start := time.Now().Truncate(time.Second)
	if err := k.Promote(active); err != nil {
		t.Fatal(err)
	}
	after := make(map[uint32]keyrotation.KeyInfo)
	for _, key := range k.Keys() {
		after[key.ID] = key
	}
	if got := after[active].Promoted; got.Before(start) || got.Nanosecond() != 0 || got.Location() != time.UTC {
		t.Errorf("promoted key's Promoted = %v, want a UTC time in whole seconds from %v", got, start)
	}
	if got, want := after[primary].Promoted, before[0].Promoted; !got.Equal(want) {
		t.Errorf("former primary's Promoted = %v, want %v unchanged", got, want)
	}
}

func TestKeysOrder(t *testing.T) {
	const secret = `"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="`
	data := `{"version": 1, "keys": [
		{"id": 7, "state": "disabled", "created": "2025-01-01T00:00:00Z", "secret": ` + secret + `},
		{"id": 9, "state": "active", "created": "2026-03-01T00:00:00Z", "secret": ` + secret + `},
		{"id": 8, "state": "active", "created": "2026-03-01T00:00:00Z", "secret": ` + secret + `},
		{"id": 6, "state": "disabled", "created": "2024-01-01T00:00:00+02:00", "secret": ` + secret + `},
		{"id": 5, "state": "active", "created": "2025-01-01T00:00:00Z", "secret": ` + secret + `},
		{"id": 1, "state": "primary", "created": "2026-06-01T00:00:00Z", "secret": ` + secret + `}
	]}`
	k, err := keyrotation.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	checkRing(t, k)
	var got []uint32
	for _, key := range k.Keys() {
		got = append(got, key.ID)
	}
	if want := []uint32{1, 5, 8, 9, 6, 7}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Keys() IDs = %v, want %v", got, want)
	}
	if got, want := k.Keys()[4].Created, time.Date(2023, 12, 31, 22, 0, 0, 0, time.UTC); got != want {
		t.Errorf("Created = %v, want %v", got, want)
	}
}

func TestCipher(t *testing.T) {
	k, primary, active, disabled := ring(t)
	tests := []struct {
		name    string
		purpose keyrotation.Purpose
		id      uint32
		err     error
	}{
		{"primary", keyrotation.PurposeCookie, primary, nil},
		{"active", keyrotation.PurposeRecord, active, nil},
		{"disabled", keyrotation.PurposeCookie, disabled, keyrotation.ErrUnknownKey},
		{"missing", keyrotation.PurposeCookie, 0, keyrotation.ErrUnknownKey},
		{"purpose 0", 0, primary, nil},
		{"purpose 4", keyrotation.PurposeJWT + 1, primary, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := k.Cipher(tt.purpose, tt.id)
			switch {
			case tt.purpose < keyrotation.PurposeCookie || tt.purpose > keyrotation.PurposeJWT:
				if err == nil || errors.Is(err, keyrotation.ErrUnknownKey) {
					t.Fatalf("error = %v, want an invalid purpose error", err)
				}
				if _, _, err := k.Primary(tt.purpose); err == nil {
					t.Errorf("Primary(%v) error = nil, want an invalid purpose error", tt.purpose)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) || c != nil {
					t.Fatalf("Cipher = %v, %v, want nil, %v", c, err, tt.err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				// The cipher of key tt.id: what it seals opens under
				// no other key.
				n := nonce(t)
				sealed := c.Seal(nil, n, []byte("value"), nil)
				for _, other := range []uint32{primary, active} {
					oc, err := k.Cipher(tt.purpose, other)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := oc.Open(nil, n, sealed, nil); (err == nil) != (other == tt.id) {
						t.Errorf("key %d opens what the cipher of key %d sealed: %v", other, tt.id, err == nil)
					}
				}
			}
		})
	}
}

// A Cipher looked up before its key was disabled or removed keeps working,
// as documented; the ring no longer hands it out.
func TestCipherOutlivesKey(t *testing.T) {
	k, _, active, _ := ring(t)
	c, err := k.Cipher(keyrotation.PurposeCookie, active)
	if err != nil {
		t.Fatal(err)
	}
	n := nonce(t)
	sealed := c.Seal(nil, n, []byte("value"), nil)
	if err := k.Disable(active); err != nil {
		t.Fatal(err)
	}
	if err := k.Remove(active); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Cipher(keyrotation.PurposeCookie, active); !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("Cipher after Remove: error = %v, want %v", err, keyrotation.ErrUnknownKey)
	}
	if _, err := c.Open(nil, n, sealed, nil); err != nil {
		t.Errorf("Open with a Cipher looked up before Remove: %v", err)
	}
}

func TestSubkeysSeparate(t *testing.T) {
	k, primary, active, _ := ring(t)
	type use struct {
		id uint32
		p  keyrotation.Purpose
	}
	var uses []use
	for _, id := range []uint32{primary, active} {
		for _, p := range purposes {
			uses = append(uses, use{id, p})
		}
	}
	plaintext := []byte("a session")
	for _, seal := range uses {
		c, err := k.Cipher(seal.p, seal.id)
		if err != nil {
			t.Fatal(err)
		}
		n := nonce(t)
		sealed := c.Seal(nil, n, plaintext, nil)
		for _, open := range uses {
			c, err := k.Cipher(open.p, open.id)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Open(nil, n, sealed, nil)
			if open == seal {
				if err != nil || !bytes.Equal(got, plaintext) {
					t.Errorf("sealed and opened as %v/%d: got %q, %v, want %q", seal.p, seal.id, got, err, plaintext)
				}
			} else if err == nil {
				t.Errorf("sealed as %v/%d, opened as %v/%d: error = nil, want one", seal.p, seal.id, open.p, open.id)
			}
		}
	}
}

// Every byte that Seal authenticates is checked by Open.
func TestOpenTampered(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := k.Primary(keyrotation.PurposeRecord)
	if err != nil {
		t.Fatal(err)
	}
	n, aad := nonce(t), []byte("additional data")
	sealed := c.Seal(nil, n, []byte("plaintext"), aad)
	for name, b := range map[string][]byte{"nonce": n, "ciphertext": sealed, "additional data": aad} {
		for i := range b {
			b[i] ^= 0x01
			if _, err := c.Open(nil, n, sealed, aad); err == nil {
				t.Errorf("%s byte %d flipped: Open error = nil, want one", name, i)
			}
			b[i] ^= 0x01
		}
	}
	if _, err := c.Open(nil, n, sealed, aad); err != nil {
		t.Errorf("Open of the untampered value: %v", err)
	}
}

// The in-place forms of the cipher.AEAD contract, which the token format
// uses.
func TestSealOpenInPlace(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := k.Primary(keyrotation.PurposeCookie)
	if err != nil {
		t.Fatal(err)
	}
	n := nonce(t)
	want := []byte("in place")
	buf := make([]byte, len(want), len(want)+16) // room for the tag
	copy(buf, want)
	sealed := c.Seal(buf[:0], n, buf, nil)
	if &sealed[0] != &buf[0] {
		t.Fatal("Seal(plaintext[:0], ...) did not seal in place")
	}
	got, err := c.Open(sealed[:0], n, sealed, nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Open in place = %q, %v, want %q", got, err, want)
	}
}

func TestSealCount(t *testing.T) {
	k, primary, active, disabled := ring(t)
	seals := func() map[uint32]uint64 {
		m := make(map[uint32]uint64)
		for _, key := range k.Keys() {
			m[key.ID] = key.Seals
		}
		return m
	}
	seal := func(p keyrotation.Purpose, id uint32) []byte {
		c, err := k.Cipher(p, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Seal(nil, make([]byte, 12), nil, nil)
	}
	for _, p := range purposes {
		seal(p, primary)
	}
	sealed := seal(keyrotation.PurposeCookie, active)
	c, err := k.Cipher(keyrotation.PurposeCookie, active)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(nil, make([]byte, 12), sealed, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := seals(), map[uint32]uint64{primary: 3, active: 1, disabled: 0}; !maps.Equal(got, want) {
		t.Fatalf("seals = %v, want %v (opens do not count)", got, want)
	}
	// Changes replace the ring's snapshot; the counts carry over.
	if err := k.Promote(active); err != nil {
		t.Fatal(err)
	}
	added, err := k.Add()
	if err != nil {
		t.Fatal(err)
	}
	seal(keyrotation.PurposeJWT, active)
	if got, want := seals(), map[uint32]uint64{primary: 3, active: 2, disabled: 0, added: 0}; !maps.Equal(got, want) {
		t.Errorf("seals after Promote and Add = %v, want %v", got, want)
	}
}

func TestMarshalParseRoundTrip(t *testing.T) {
	k, _, active, _ := ring(t)
	if err := k.Promote(active); err != nil {
		t.Fatal(err)
	}
	data, parsed := reparse(t, k)
	checkRing(t, parsed)
	if got, want := parsed.Keys(), k.Keys(); !sameKeys(got, want) {
		t.Errorf("parsed Keys() = %+v, want %+v", got, want)
	}
	again, err := parsed.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Errorf("Marshal of the parsed ring differs:\n%s\nwant\n%s", again, data)
	}
	// Both copies open what either seals, under every key that opens.
	for _, key := range k.Keys() {
		if key.State == keyrotation.Disabled {
			continue
		}
		for _, p := range purposes {
			for _, pair := range [][2]*keyrotation.Keyring{{k, parsed}, {parsed, k}} {
				sealer, err := pair[0].Cipher(p, key.ID)
				if err != nil {
					t.Fatal(err)
				}
				opener, err := pair[1].Cipher(p, key.ID)
				if err != nil {
					t.Fatal(err)
				}
				n := nonce(t)
				got, err := opener.Open(nil, n, sealer.Seal(nil, n, []byte("cart"), []byte("aad")), []byte("aad"))
				if err != nil || string(got) != "cart" {
					t.Errorf("key %d, %v: Open = %q, %v, want %q", key.ID, p, got, err, "cart")
				}
			}
		}
	}
}

// TestVectors freezes the file format and the subkey derivation: the ring
// in testdata/keyring-v1.json and the values sealed with it were made
// independently of this package (with Python's cryptography library);
// keyring-v2.json holds the same keys, written by hand from the format in
// the package documentation, with a propagation delay and a key enabled
// again; keyring-v3.json, written the same way, adds a max lifetime and a
// recorded demotion. If this test fails, every deployed key ring or sealed
// value would break.
func TestVectors(t *testing.T) {
	var vectors []struct {
		ID                            uint32
		Purpose                       string
		Nonce, Plaintext, AAD, Sealed string
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "seal-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("no vectors in testdata/seal-v1.json")
	}
	// The names are part of the subkey derivation.
	byName := map[string]keyrotation.Purpose{
		"cookie": keyrotation.PurposeCookie,
		"record": keyrotation.PurposeRecord,
		"jwt":    keyrotation.PurposeJWT,
	}
	unhex := func(t *testing.T, s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A file that records no demotion implies that the former primary key
	// was demoted when the primary key was promoted.
	implied := map[uint32]time.Time{2712847316: time.Date(2026, 2, 1, 12, 30, 0, 0, time.UTC)}
	enabled := map[uint32]time.Time{2712847316: time.Date(2026, 2, 10, 7, 45, 0, 0, time.UTC)}
	for _, ring := range []struct {
		file     string
		delay    time.Duration
		lifetime time.Duration
		enabled  map[uint32]time.Time // the keys with an enabled time
		demoted  map[uint32]time.Time // the keys that were primary
	}{
		{file: "keyring-v1.json", delay: keyrotation.DefaultPropagationDelay, lifetime: keyrotation.DefaultMaxLifetime, demoted: implied},
		{file: "keyring-v2.json", delay: 15 * time.Minute, lifetime: keyrotation.DefaultMaxLifetime, enabled: enabled, demoted: implied},
		{file: "keyring-v3.json", delay: 15 * time.Minute, lifetime: 30 * 24 * time.Hour, enabled: enabled, demoted: map[uint32]time.Time{
			2712847316: time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC),
		}},
	} {
		t.Run(ring.file, func(t *testing.T) {
			file := filepath.Join("testdata", ring.file)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			k, err := keyrotation.LoadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := k.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, data) {
				t.Errorf("Marshal() =\n%s\nwant the file %s:\n%s", out, file, data)
			}
			if delay, lifetime := k.Waits(); delay != ring.delay || lifetime != ring.lifetime {
				t.Errorf("Waits() = %v, %v; want %v, %v", delay, lifetime, ring.delay, ring.lifetime)
			}
			for _, key := range k.Keys() {
				if want := ring.enabled[key.ID]; !key.Enabled.Equal(want) {
					t.Errorf("key %d: Enabled = %v, want %v", key.ID, key.Enabled, want)
				}
				if want := ring.demoted[key.ID]; !key.Demoted.Equal(want) {
					t.Errorf("key %d: Demoted = %v, want %v", key.ID, key.Demoted, want)
				}
			}
			for _, key := range k.Keys() {
				if err := k.Enable(key.ID); err != nil { // vectors cover the disabled key too
					t.Fatal(err)
				}
			}
			for _, v := range vectors {
				t.Run(fmt.Sprintf("%d/%s", v.ID, v.Purpose), func(t *testing.T) {
					c, err := k.Cipher(byName[v.Purpose], v.ID)
					if err != nil {
						t.Fatal(err)
					}
					n, plaintext, aad, want := unhex(t, v.Nonce), unhex(t, v.Plaintext), unhex(t, v.AAD), unhex(t, v.Sealed)
					if got := c.Seal(nil, n, plaintext, aad); !bytes.Equal(got, want) {
						t.Errorf("Seal = %x, want %x", got, want)
					}
					if got, err := c.Open(nil, n, want, aad); err != nil || !bytes.Equal(got, plaintext) {
						t.Errorf("Open = %x, %v, want %x", got, err, plaintext)
					}
				})
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	key := func(id int, state, secret string) string {
		return fmt.Sprintf(`{"id": %d, "state": %q, "created": "2026-01-01T00:00:00Z", "secret": %q}`, id, state, secret)
	}
	file := func(keys ...string) string {
		return `{"version": 1, "keys": [` + strings.Join(keys, ", ") + `]}`
	}
	primary := key(1, "primary", secret)
	tests := []struct {
		name   string
		data   string
		secret string // must not appear in the error; the valid secret if empty
		key    int
		field  string
	}{
		{name: "empty", data: "", key: -1},
		{name: "bad JSON", data: `{"version": 1, "keys": [{"id": 1, "state": "primary", "secret": "` + secret + `" x}]}`, key: -1},
		{name: "bad JSON in secret", data: `{"version": 1, "keys": [{"secret": "` + secret[:20] + "\x01" + secret[20:] + `"}]}`, secret: secret[:20], key: -1},
		{name: "truncated", data: file(primary)[:80], secret: secret[:10], key: -1},
		{name: "data after", data: file(primary) + ` {"secret": "` + secret + `"}`, key: -1},
		{name: "not an object", data: `["` + secret + `"]`, key: -1},
		{name: "version 4", data: `{"version": 4, "keys": [` + primary + `]}`, key: -1, field: "version"},
		{name: "version 4 after keys", data: `{"keys": [{"kid": "x"}], "version": 4}`, key: -1, field: "version"},
		{name: "version 0", data: `{"version": 0, "keys": [` + primary + `]}`, key: -1, field: "version"},
		{name: "version string", data: `{"version": "1", "keys": [` + primary + `]}`, key: -1, field: "version"},
		{name: "version missing", data: `{"keys": [` + primary + `]}`, key: -1, field: "version"},
		{name: "keys missing", data: `{"version": 1}`, key: -1, field: "keys"},
		{name: "keys not an array", data: `{"version": 1, "keys": {}}`, key: -1, field: "keys"},
		{name: "keys null", data: `{"version": 1, "keys": null}`, key: -1, field: "keys"},
		{name: "no keys", data: file(), key: -1, field: "keys"},
		{name: "key not an object", data: file(primary, `"`+secret+`"`), key: 1},
		{name: "zero id", data: file(primary, key(0, "active", secret)), key: 1, field: "id"},
		{name: "negative id", data: file(primary, key(-1, "active", secret)), key: 1, field: "id"},
		{name: "id too large", data: file(primary, key(1<<32, "active", secret)), key: 1, field: "id"},
		{name: "id string", data: file(strings.Replace(primary, `"id": 1`, `"id": "1"`, 1)), key: 0, field: "id"},
		{name: "id missing", data: file(strings.Replace(primary, `"id": 1,`, ``, 1)), key: 0, field: "id"},
		{name: "duplicate id", data: file(primary, key(2, "active", secret), key(1, "active", secret)), key: 2, field: "id"},
		{name: "two primaries", data: file(primary, key(2, "primary", secret)), key: 1, field: "state"},
		{name: "no primary", data: file(key(1, "active", secret), key(2, "disabled", secret)), key: -1, field: "keys"},
		{name: "bad state", data: file(key(1, "Primary", secret)), key: 0, field: "state"},
		{name: "bad state not repeated", data: file(key(1, "Primary", secret)), secret: `Primary"`, key: 0, field: "state"},
		{name: "empty state", data: file(key(1, "", secret)), key: 0, field: "state"},
		{name: "state enabled", data: file(key(1, "enabled", secret)), secret: `enabled"`, key: 0, field: "state"},
		{name: "state with a space", data: file(key(1, "primary ", secret)), secret: `primary "`, key: 0, field: "state"},
		{name: "state missing", data: file(strings.Replace(primary, `"state": "primary",`, ``, 1)), key: 0, field: "state"},
		{name: "created missing", data: file(strings.Replace(primary, `"created": "2026-01-01T00:00:00Z",`, ``, 1)), key: 0, field: "created"},
		{name: "created not RFC 3339", data: file(strings.Replace(primary, `2026-01-01T00:00:00Z`, `2026-01-01 00:00:00`, 1)), key: 0, field: "created"},
		{name: "promoted not RFC 3339", data: file(strings.Replace(primary, `"id": 1,`, `"id": 1, "promoted": "yesterday",`, 1)), key: 0, field: "promoted"},
		{name: "secret too short", data: file(key(1, "primary", "AAECAwQFBgcICQoLDA0ODw==")), secret: "AAECAwQFBgcICQoLDA0ODw==", key: 0, field: "secret"},
		{name: "secret too long", data: file(key(1, "primary", secret+"AAAA")), key: 0, field: "secret"},
		{name: "secret unpadded", data: file(key(1, "primary", strings.TrimSuffix(secret, "="))), secret: strings.TrimSuffix(secret, "="), key: 0, field: "secret"},
		{name: "secret not base64", data: file(key(1, "primary", "s3cr3t!s3cr3t!s3cr3t!s3cr3t!s3cr3t!s3cr3t!==")), secret: "s3cr3t!s3cr3t!", key: 0, field: "secret"},
		{name: "secret URL base64", data: file(key(1, "primary", "-_-_AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")), secret: "-_-_AwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", key: 0, field: "secret"},
		{name: "secret not canonical", data: file(key(1, "primary", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=")), secret: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", key: 0, field: "secret"},
		{name: "secret number", data: file(strings.Replace(primary, `"`+secret+`"`, `12345678901234567890`, 1)), secret: "12345678901234567890", key: 0, field: "secret"},
		{name: "secret missing", data: file(strings.Replace(primary, `, "secret": "`+secret+`"`, ``, 1)), key: 0, field: "secret"},
		{name: "unknown field", data: file(strings.Replace(primary, `"id": 1,`, `"id": 1, "colour": "`+secret+`",`, 1)), key: 0, field: "colour"},
		{name: "unknown top-level field", data: `{"version": 1, "comment": "` + secret + `", "keys": [` + primary + `]}`, key: -1, field: "comment"},
		{name: "secret as a field name", data: file(strings.Replace(primary, `"id": 1,`, `"id": 1, "`+secret+`": 1,`, 1)), key: 0},
		{name: "long field name", data: file(strings.Replace(primary, `"id": 1,`, `"id": 1, "ZEBRAZEBRAZEBRAZEBRAZEBRAZEBRAZEBRA": 1,`, 1)), secret: "ZEBRAZEBRAZEBRA", key: 0},
		{name: "repeated field", data: file(strings.Replace(primary, `"id": 1,`, `"id": 1, "id": 2,`, 1)), key: 0, field: "id"},
		{name: "too large", data: file(primary) + strings.Repeat(" ", keyrotation.MaxFileSize), key: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := keyrotation.Parse([]byte(tt.data))
			if k != nil || !errors.Is(err, keyrotation.ErrInvalidKeyring) {
				t.Fatalf("Parse = %v, %v, want nil, %v", k, err, keyrotation.ErrInvalidKeyring)
			}
			var pe *keyrotation.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Key != tt.key || pe.Field != tt.field {
				t.Errorf("error %q: Key, Field = %d, %q, want %d, %q", err, pe.Key, pe.Field, tt.key, tt.field)
			}
			msg := err.Error()
			if tt.secret == "" {
				tt.secret = secret
			}
			if strings.Contains(msg, tt.secret) || !strings.HasPrefix(msg, "keyrotation: ") || pe.Problem == "" {
				t.Errorf("error %q: want a keyrotation: error with a problem and without %q", msg, tt.secret)
			}
		})
	}
}

func TestParseErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *keyrotation.ParseError
		want string
	}{
		{"key and field", &keyrotation.ParseError{Key: 2, Field: "secret", Problem: "must be 32 bytes in standard base64"},
			`keyrotation: key 2: field "secret": must be 32 bytes in standard base64`},
		{"field only", &keyrotation.ParseError{Key: -1, Field: "version", Problem: "unsupported version 2, want 1"},
			`keyrotation: field "version": unsupported version 2, want 1`},
		{"key only", &keyrotation.ParseError{Key: 0, Problem: "must be an object"},
			`keyrotation: key 0: must be an object`},
		{"neither", &keyrotation.ParseError{Key: -1, Problem: "invalid JSON at byte offset 7"},
			`keyrotation: invalid JSON at byte offset 7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseJSONOffset(t *testing.T) {
	data := `{"version": 1, "keys": [}`
	_, err := keyrotation.Parse([]byte(data))
	if got, want := fmt.Sprint(err), "keyrotation: invalid JSON at byte offset 25"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestWriteFileLoadFile(t *testing.T) {
	k, _, _, _ := ring(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	// An existing file is replaced, whatever its mode was.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), fs.FileMode(0o600); got != want {
		t.Errorf("mode = %v, want %v", got, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entries), 1; got != want {
		t.Errorf("directory holds %d files, want %d (no temporary file left)", got, want)
	}
	loaded, err := keyrotation.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loaded.Keys(), k.Keys(); !sameKeys(got, want) {
		t.Errorf("loaded Keys() = %+v, want %+v", got, want)
	}
	want, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("file = %q, %v, want the output of Marshal", got, err)
	}
}

func TestWriteFileError(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "missing", "keys.json")
	err = k.WriteFile(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "keyrotation: ") {
		t.Errorf("WriteFile into a missing directory: error = %v, want a keyrotation: error matching %v", err, fs.ErrNotExist)
	}
}

func TestLoadFileErrors(t *testing.T) {
	const secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		path string
		err  error
	}{
		{"missing", filepath.Join(dir, "missing.json"), fs.ErrNotExist},
		{"invalid", write("invalid.json", `{"version": 1, "keys": [{"secret": "`+secret+`"}]}`), keyrotation.ErrInvalidKeyring},
		{"too large", write("large.json", strings.Repeat(secret, keyrotation.MaxFileSize/len(secret)+1)), keyrotation.ErrInvalidKeyring},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := keyrotation.LoadFile(tt.path)
			if k != nil || !errors.Is(err, tt.err) {
				t.Fatalf("LoadFile = %v, %v, want nil, %v", k, err, tt.err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "keyrotation: ") || !strings.Contains(msg, tt.path) || strings.Contains(msg, secret) {
				t.Errorf("error %q: want a keyrotation: error naming %s and not the content", msg, tt.path)
			}
		})
	}
}

func TestStateText(t *testing.T) {
	tests := []struct {
		state keyrotation.State
		text  string
	}{
		{keyrotation.Primary, "primary"},
		{keyrotation.Active, "active"},
		{keyrotation.Disabled, "disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.state.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
		})
	}
	if got, want := keyrotation.State(9).String(), "State(9)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestLookupAllocs(t *testing.T) {
	k, _, active, disabled := ring(t)
	tests := []struct {
		name string
		f    func()
	}{
		{"Primary", func() { _, _, _ = k.Primary(keyrotation.PurposeCookie) }},
		{"Cipher", func() { _, _ = k.Cipher(keyrotation.PurposeRecord, active) }},
		{"Cipher disabled", func() { _, _ = k.Cipher(keyrotation.PurposeCookie, disabled) }},
		{"Cipher missing", func() { _, _ = k.Cipher(keyrotation.PurposeCookie, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(100, tt.f); got != 0 {
				t.Errorf("allocations = %v, want 0", got)
			}
		})
	}
}

// TestConcurrentRotation seals and opens from several goroutines while
// another rotates keys through their whole life and a third writes and
// reads the ring's file. Run it with -race.
func TestConcurrentRotation(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	const workers, iterations, minRotations = 4, 2000, 50
	var (
		wg      sync.WaitGroup
		working sync.WaitGroup
		done    = make(chan struct{})
	)
	working.Add(workers)
	for range workers {
		wg.Go(func() {
			defer working.Done()
			n := make([]byte, 12)
			plaintext := bytes.Repeat([]byte("s"), 300)
			for range iterations {
				id, c, err := k.Primary(keyrotation.PurposeCookie)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := rand.Read(n); err != nil {
					t.Error(err)
					return
				}
				sealed := c.Seal(nil, n, plaintext, nil)
				opener, err := k.Cipher(keyrotation.PurposeCookie, id)
				if errors.Is(err, keyrotation.ErrUnknownKey) {
					// Disabled since it sealed: the rotation below does
					// not wait, as a real one would.
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := opener.Open(nil, n, sealed, nil); err != nil || !bytes.Equal(got, plaintext) {
					t.Errorf("Open of a value sealed with key %d: %v", id, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		working.Wait()
		close(done)
	})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				if i >= minRotations {
					return
				}
			default:
			}
			old := k.Keys()[0].ID
			id, err := k.Add()
			if err == nil {
				err = k.Force(id, keyrotation.Primary)
			}
			if err == nil {
				err = k.Force(old, keyrotation.Disabled)
			}
			if err == nil {
				err = k.Remove(old)
			}
			if err == nil {
				err = ringError(k)
			}
			if err != nil {
				t.Errorf("rotation %d: %v", i, err)
				return
			}
		}
	})
	path := filepath.Join(t.TempDir(), "keys.json")
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := k.WriteFile(path); err != nil {
				t.Error(err)
				return
			}
			if _, err := keyrotation.LoadFile(path); err != nil {
				t.Error(err)
				return
			}
			_ = k.String()
		}
	})
	wg.Wait()
	checkRing(t, k)
	if got, want := len(k.Keys()), 1; got != want {
		t.Errorf("ring has %d keys after the rotations, want %d", got, want)
	}
}

func BenchmarkPrimarySealOpen(b *testing.B) {
	k, err := keyrotation.Generate()
	if err != nil {
		b.Fatal(err)
	}
	plaintext := bytes.Repeat([]byte("s"), 300)
	aad := []byte("sessionseal token v1 header")
	n := make([]byte, 12)
	sealed := make([]byte, 0, len(plaintext)+16)
	opened := make([]byte, 0, len(plaintext))
	b.ReportAllocs()
	b.SetBytes(int64(len(plaintext)))
	for b.Loop() {
		id, c, err := k.Primary(keyrotation.PurposeCookie)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rand.Read(n); err != nil {
			b.Fatal(err)
		}
		sealed = c.Seal(sealed[:0], n, plaintext, aad)
		c, err = k.Cipher(keyrotation.PurposeCookie, id)
		if err != nil {
			b.Fatal(err)
		}
		if opened, err = c.Open(opened[:0], n, sealed, aad); err != nil {
			b.Fatal(err)
		}
	}
}

// rfc5869 is HKDF-SHA256 written out from RFC 5869 with crypto/hmac, to
// check the derivation independently of crypto/hkdf.
func rfc5869(secret []byte, info string) []byte {
	ext := hmac.New(sha256.New, make([]byte, sha256.Size))
	ext.Write(secret)
	prk := ext.Sum(nil)
	exp := hmac.New(sha256.New, prk)
	exp.Write([]byte(info))
	exp.Write([]byte{1})
	return exp.Sum(nil)
}

func TestMACKey(t *testing.T) {
	ring, err := keyrotation.Parse([]byte(`{"version":1,"keys":[
		{"id":1234567890,"state":"primary","created":"2026-11-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id":42,"state":"disabled","created":"2026-10-01T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}`))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base64.StdEncoding.DecodeString("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	got, err := ring.MACKey(keyrotation.PurposeJWT, 1234567890)
	if err != nil {
		t.Fatal(err)
	}
	want := rfc5869(secret, "sessionseal/v1 jwt hmac \x49\x96\x02\xd2")
	if !bytes.Equal(got, want) {
		t.Errorf("MACKey: got %x, want %x", got, want)
	}
	got[0] ^= 1
	if again, _ := ring.MACKey(keyrotation.PurposeJWT, 1234567890); !bytes.Equal(again, want) {
		t.Error("modifying a returned key changed the ring's")
	}
	other, _ := ring.MACKey(keyrotation.PurposeRecord, 1234567890)
	if bytes.Equal(other, want) {
		t.Error("two purposes share a MAC key")
	}
	if _, err := ring.MACKey(keyrotation.PurposeJWT, 42); !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("disabled key: got %v, want ErrUnknownKey", err)
	}
	if _, err := ring.MACKey(keyrotation.PurposeJWT, 7); !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("missing key: got %v, want ErrUnknownKey", err)
	}
}

func TestPromoteWaitsForPropagation(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if got := propagationDelay(k); got != keyrotation.DefaultPropagationDelay {
		t.Errorf("default delay: got %v, want %v", got, keyrotation.DefaultPropagationDelay)
	}
	id, err := k.Add()
	if err != nil {
		t.Fatal(err)
	}
	err = k.Promote(id)
	if !errors.Is(err, keyrotation.ErrTooEarly) || !errors.Is(err, keyrotation.ErrUnsafe) {
		t.Fatalf("Promote at once: got %v, want ErrTooEarly matching ErrUnsafe", err)
	}
	if k.Keys()[0].ID == id {
		t.Fatal("a refused Promote changed the primary")
	}
	if err := k.Force(id, keyrotation.Primary); err != nil || k.Keys()[0].ID != id {
		t.Fatalf("Force(id, Primary): %v, primary %d", err, k.Keys()[0].ID)
	}
	if err := k.SetPropagationDelay(-time.Second); err == nil {
		t.Error("negative delay: got no error")
	}

	// A key created long ago may be promoted; the delay survives the file.
	old, err := keyrotation.Parse([]byte(`{"version":1,"propagation_delay":"15m","keys":[
		{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id":2,"state":"active","created":"2026-01-02T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := propagationDelay(old); got != 15*time.Minute {
		t.Errorf("parsed delay: got %v, want 15m", got)
	}
	if err := old.Promote(2); err != nil {
		t.Errorf("Promote of a key added long ago: %v", err)
	}
	if _, again := reparse(t, old); propagationDelay(again) != 15*time.Minute {
		t.Errorf("delay after Marshal and Parse: %v", propagationDelay(again))
	}
	for _, bad := range []string{`"soon"`, `"-1h"`, `3600`} {
		_, err := keyrotation.Parse([]byte(`{"version":1,"propagation_delay":` + bad + `,"keys":[
			{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}`))
		var pe *keyrotation.ParseError
		if !errors.As(err, &pe) || pe.Field != "propagation_delay" {
			t.Errorf("propagation_delay %s: got %v, want a ParseError naming the field", bad, err)
		}
	}
}

// TestPropagationDelayInFile checks that the file records the propagation
// delay once it has been set, even to the default, and leaves it out
// otherwise, so that such a ring follows DefaultPropagationDelay.
func TestPropagationDelayInFile(t *testing.T) {
	const keys = `"keys":[{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}`
	parse := func(data string) func(t *testing.T) *keyrotation.Keyring {
		return func(t *testing.T) *keyrotation.Keyring {
			k, err := keyrotation.Parse([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	set := func(from func(t *testing.T) *keyrotation.Keyring, d time.Duration) func(t *testing.T) *keyrotation.Keyring {
		return func(t *testing.T) *keyrotation.Keyring {
			k := from(t)
			if err := k.SetPropagationDelay(d); err != nil {
				t.Fatal(err)
			}
			return k
		}
	}
	generate := func(t *testing.T) *keyrotation.Keyring {
		k, err := keyrotation.Generate()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	replaced := func(from func(t *testing.T) *keyrotation.Keyring) func(t *testing.T) *keyrotation.Keyring {
		return func(t *testing.T) *keyrotation.Keyring {
			k := set(generate, 5*time.Minute)(t)
			k.Replace(from(t))
			return k
		}
	}
	for _, tc := range []struct {
		name  string
		ring  func(t *testing.T) *keyrotation.Keyring
		delay time.Duration
		field string // "" for none
	}{
		{"generated", generate, keyrotation.DefaultPropagationDelay, ""},
		{"generated, set to the default", set(generate, keyrotation.DefaultPropagationDelay), keyrotation.DefaultPropagationDelay, `"1h0m0s"`},
		{"generated, set to 0", set(generate, 0), 0, `"0s"`},
		{"parsed without", parse(`{"version":1,` + keys), keyrotation.DefaultPropagationDelay, ""},
		{"parsed with 0", parse(`{"version":1,"propagation_delay":"0s",` + keys), 0, `"0s"`},
		{"parsed with 2h", parse(`{"version":1,"propagation_delay":"2h",` + keys), 2 * time.Hour, `"2h0m0s"`},
		{"replaced by a ring without", replaced(parse(`{"version":1,` + keys)), keyrotation.DefaultPropagationDelay, ""},
		{"replaced by a ring with 2h", replaced(parse(`{"version":1,"propagation_delay":"2h",` + keys)), 2 * time.Hour, `"2h0m0s"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.ring(t)
			if got := propagationDelay(k); got != tc.delay {
				t.Errorf("propagation delay = %v, want %v", got, tc.delay)
			}
			data, parsed := reparse(t, k)
			if got := propagationDelay(parsed); got != tc.delay {
				t.Errorf("propagation delay after Marshal and Parse = %v, want %v", got, tc.delay)
			}
			has := bytes.Contains(data, []byte(`"propagation_delay"`))
			if tc.field == "" && has || tc.field != "" && !bytes.Contains(data, []byte(`"propagation_delay": `+tc.field)) {
				t.Errorf("Marshal() =\n%s\nwant propagation_delay %s", data, cmp.Or(tc.field, "absent"))
			}
		})
	}
}

// TestPromoteHugeDelay checks that the largest delays hold Promote back
// rather than overflow into the past and let it through at once.
func TestPromoteHugeDelay(t *testing.T) {
	for _, delay := range []time.Duration{
		2562047*time.Hour + 47*time.Minute + 16*time.Second, // sessionkeys delay FILE 2562047h47m16s
		math.MaxInt64,
	} {
		k, err := keyrotation.Generate()
		if err != nil {
			t.Fatal(err)
		}
		if err := k.SetPropagationDelay(delay); err != nil {
			t.Fatal(err)
		}
		id, err := k.Add()
		if err != nil {
			t.Fatal(err)
		}
		if got := keyInfo(t, k, id).PromotableAt; !got.After(time.Now().Add(100 * 365 * 24 * time.Hour)) {
			t.Errorf("delay %v: PromotableAt = %v; want centuries from now", delay, got)
		}
		if err := k.Promote(id); !errors.Is(err, keyrotation.ErrTooEarly) {
			t.Errorf("delay %v: Promote = %v, want ErrTooEarly", delay, err)
		}
		if k.Keys()[0].ID == id {
			t.Errorf("delay %v: a refused Promote changed the primary", delay)
		}
	}
}

func TestWatchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errs := make(chan error, 10)
	watched, err := keyrotation.WatchFile(ctx, path, 5*time.Millisecond, func(err error) { errs <- err })
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := watched.Primary(keyrotation.PurposeCookie)
	if err != nil {
		t.Fatal(err)
	}
	c.Seal(nil, make([]byte, 12), []byte("x"), nil)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	id, err := k.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	waitFor("the added key", func() bool { _, err := watched.Cipher(keyrotation.PurposeCookie, id); return err == nil })
	for _, info := range watched.Keys() {
		if info.ID == k.Keys()[0].ID && info.Seals != 1 {
			t.Errorf("seal count of the unchanged primary after a reload: %d, want 1", info.Seals)
		}
	}

	// A broken file is reported and leaves the ring as it was.
	if err := os.WriteFile(path, []byte(`{"version":1,"keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, keyrotation.ErrInvalidKeyring) {
			t.Errorf("reported error: got %v, want ErrInvalidKeyring", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a broken file was not reported")
	}
	if _, err := watched.Cipher(keyrotation.PurposeCookie, id); err != nil || len(watched.Keys()) != 2 {
		t.Errorf("ring after a broken file: %d keys, %v", len(watched.Keys()), err)
	}

	// A good file again is picked up.
	if err := k.Force(id, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	waitFor("the promotion", func() bool { return watched.Keys()[0].ID == id })

	// After cancel, changes are no longer followed.
	cancel()
	time.Sleep(20 * time.Millisecond)
	other, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if watched.Keys()[0].ID != id {
		t.Error("the ring changed after the watch was cancelled")
	}
	if _, err := keyrotation.WatchFile(context.Background(), filepath.Join(t.TempDir(), "missing.json"), time.Second, nil); err == nil {
		t.Error("watching a missing file: got no error")
	}
}

// TestPromoteWaitsAfterEnable checks that a key enabled again waits for the
// propagation delay like a new key: servers that still have it disabled
// would reject what it seals.
func TestPromoteWaitsAfterEnable(t *testing.T) {
	// The primary key has a promoted time, as every primary key this
	// package makes, so that its demotion needs no version 3 field.
	k, err := keyrotation.Parse([]byte(`{"version":1,"propagation_delay":"15m","keys":[
		{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","promoted":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id":2,"state":"disabled","created":"2026-01-02T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}`))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Truncate(time.Second)
	if err := k.Enable(2); err != nil {
		t.Fatal(err)
	}
	enabled := k.Keys()[1].Enabled
	if k.Keys()[1].ID != 2 || enabled.Before(before) || enabled.After(time.Now()) {
		t.Fatalf("Keys()[1] after Enable: %+v, want key 2 enabled now", k.Keys()[1])
	}
	if got := keyInfo(t, k, 2).PromotableAt; !got.Equal(enabled.Add(15*time.Minute + time.Second)) {
		t.Errorf("PromotableAt: got %v; want 15m1s after %v", got, enabled)
	}
	err = k.Promote(2)
	if !errors.Is(err, keyrotation.ErrTooEarly) || !strings.Contains(err.Error(), "enabled again") {
		t.Fatalf("Promote right after Enable: got %v, want ErrTooEarly saying the key was enabled again", err)
	}

	// The time survives the file, and once it is old enough Promote works.
	data, parsed := reparse(t, k)
	if !sameKeys(parsed.Keys(), k.Keys()) {
		t.Errorf("after Marshal and Parse: %+v, want %+v", parsed.Keys(), k.Keys())
	}
	// Version 1 has no "enabled", so the file says version 2, and a
	// version-1 file with the field is refused.
	if !bytes.Contains(data, []byte(`"version": 2`)) {
		t.Errorf("a ring with an enabled time was written without version 2:\n%s", data)
	}
	var pe *keyrotation.ParseError
	if _, err := keyrotation.Parse(bytes.Replace(data, []byte(`"version": 2`), []byte(`"version": 1`), 1)); !errors.As(err, &pe) || pe.Field != "enabled" {
		t.Errorf("version 1 with an enabled field: got %v, want a ParseError naming enabled", err)
	}
	old, err := keyrotation.Parse(bytes.Replace(data, []byte(enabled.Format(time.RFC3339)), []byte("2026-01-03T00:00:00Z"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Promote(2); err != nil {
		t.Errorf("Promote of a key enabled long ago: %v", err)
	}
	// Promote ends the wait, and the file goes back to version 1, which
	// every reader knows.
	if got := old.Keys()[0]; got.ID != 2 || !got.Enabled.IsZero() {
		t.Errorf("promoted key: %+v, want key 2 with no enabled time", got)
	}
	if b, err := old.Marshal(); err != nil || !bytes.Contains(b, []byte(`"version": 1`)) || bytes.Contains(b, []byte("enabled")) {
		t.Errorf("a ring whose re-enabled key was promoted: %s, %v; want version 1 without enabled", b, err)
	}
	// Force too.
	if err := k.Force(2, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	if b, err := k.Marshal(); err != nil || !bytes.Contains(b, []byte(`"version": 1`)) {
		t.Errorf("a ring whose re-enabled key was promoted since: %s, %v; want version 1", b, err)
	}
}

// TestEnabledKept checks that a key's enabled time is part of the ring, not
// of the clock: Marshal writes it, as version 2, for as long as it is set,
// however long ago that was, and only Promote and Disable clear it.
func TestEnabledKept(t *testing.T) {
	const ring = `{"version":2,"keys":[
		{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id":2,"state":"active","created":"2026-01-02T00:00:00Z","enabled":"2026-01-03T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}`
	want := time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)
	k, err := keyrotation.Parse([]byte(ring))
	if err != nil {
		t.Fatal(err)
	}
	for _, delay := range []time.Duration{0, time.Minute, keyrotation.DefaultPropagationDelay, 1 << 62} {
		if err := k.SetPropagationDelay(delay); err != nil {
			t.Fatal(err)
		}
		data, parsed := reparse(t, k)
		if !bytes.Contains(data, []byte(`"version": 2`)) || !bytes.Contains(data, []byte(`"enabled": "2026-01-03T00:00:00Z"`)) {
			t.Errorf("delay %v: Marshal() =\n%s\nwant version 2 with the enabled time", delay, data)
		}
		if got := parsed.Keys()[1].Enabled; !got.Equal(want) {
			t.Errorf("delay %v: Enabled after Marshal and Parse = %v, want %v", delay, got, want)
		}
	}

	// Disable clears it, and the file is version 1 again; Enable sets it
	// anew.
	if err := k.Disable(2); err != nil {
		t.Fatal(err)
	}
	if got := k.Keys()[1]; got.ID != 2 || !got.Enabled.IsZero() {
		t.Errorf("after Disable: %+v, want key 2 with no enabled time", got)
	}
	if data, _ := reparse(t, k); !bytes.Contains(data, []byte(`"version": 1`)) || bytes.Contains(data, []byte("enabled")) {
		t.Errorf("after Disable: Marshal() =\n%s\nwant version 1 without enabled", data)
	}
	before := time.Now().Truncate(time.Second)
	if err := k.Enable(2); err != nil {
		t.Fatal(err)
	}
	if got := k.Keys()[1].Enabled; got.Before(before) {
		t.Errorf("after Enable again: Enabled = %v, want from %v", got, before)
	}
}

func TestPromotableAt(t *testing.T) {
	k, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.Add()
	if err != nil {
		t.Fatal(err)
	}
	info := keyInfo(t, k, id)
	if want := info.Created.Add(keyrotation.DefaultPropagationDelay + time.Second); !info.PromotableAt.Equal(want) {
		t.Errorf("PromotableAt: got %v; want %v", info.PromotableAt, want)
	}
	if err := k.SetPropagationDelay(0); err != nil {
		t.Fatal(err)
	}
	if got := keyInfo(t, k, id).PromotableAt; !got.Equal(info.Created) {
		t.Errorf("PromotableAt with no delay: got %v, want %v", got, info.Created)
	}
}
