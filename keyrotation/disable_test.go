package keyrotation_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

const (
	secret1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	secret2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	secret3 = "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
)

// legacyRing is a version 1 file in the middle of a routine rotation, as
// releases before demotion times wrote it: key 2, the previous primary key,
// was demoted when key 1 was promoted, on 2 March; key 3 was never primary.
const legacyRing = `{
  "version": 1,
  "keys": [
    {
      "id": 1,
      "state": "primary",
      "created": "2026-03-01T00:00:00Z",
      "promoted": "2026-03-02T12:00:00Z",
      "secret": "` + secret1 + `"
    },
    {
      "id": 2,
      "state": "active",
      "created": "2026-01-01T00:00:00Z",
      "promoted": "2026-01-01T00:00:00Z",
      "secret": "` + secret2 + `"
    },
    {
      "id": 3,
      "state": "active",
      "created": "2026-03-05T00:00:00Z",
      "secret": "` + secret3 + `"
    }
  ]
}
`

// fakeClock is a clock for a ring that a test sets.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// parseAt parses data into a ring that reads the time from a clock set to
// now, and returns both.
func parseAt(t *testing.T, data string, now time.Time) (*keyrotation.Keyring, *fakeClock) {
	t.Helper()
	k, err := keyrotation.Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{now}
	k.SetClock(c.now)
	return k, c
}

// TestDisableWaitsForLifetime checks the guard of Disable: a former primary
// key is refused until the propagation delay and the max lifetime have
// passed since its demotion, and accepted from that very instant; Force
// skips the wait.
func TestDisableWaitsForLifetime(t *testing.T) {
	k, clock := parseAt(t, legacyRing, time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC))
	promoted := time.Date(2026, 3, 6, 9, 30, 0, 0, time.UTC)
	clock.t = promoted.Add(250 * time.Millisecond) // recorded in whole seconds
	if err := k.Promote(3); err != nil {
		t.Fatal(err)
	}
	old := keyInfo(t, k, 1)
	if !old.Demoted.Equal(promoted) || !keyInfo(t, k, 3).Promoted.Equal(promoted) {
		t.Fatalf("after Promote: Demoted %v, Promoted %v; want both %v", old.Demoted, keyInfo(t, k, 3).Promoted, promoted)
	}
	wantAt := promoted.Add(keyrotation.DefaultPropagationDelay + keyrotation.DefaultMaxLifetime + time.Second)
	if !old.DisableableAt.Equal(wantAt) {
		t.Fatalf("DisableableAt = %v, want %v: the delay, the max lifetime and a second after %v", old.DisableableAt, wantAt, promoted)
	}

	for _, at := range []time.Time{clock.t, wantAt.Add(-time.Nanosecond)} {
		clock.t = at
		err := k.Disable(1)
		if !errors.Is(err, keyrotation.ErrInUse) || !errors.Is(err, keyrotation.ErrUnsafe) {
			t.Fatalf("Disable at %v: got %v, want ErrInUse matching ErrUnsafe", at, err)
		}
		for _, want := range []string{"keyrotation: ", "key 1 ", "2026-03-06T09:30:00Z", "from " + wantAt.Format(time.RFC3339), "max lifetime 168h0m0s", "force"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Disable at %v: error %q does not contain %q", at, err, want)
			}
		}
		if got := states(k)[1]; got != keyrotation.Active {
			t.Fatalf("a refused Disable left key 1 %v", got)
		}
	}
	clock.t = wantAt
	if err := k.Disable(1); err != nil {
		t.Fatalf("Disable at DisableableAt: %v", err)
	}
	checkRing(t, k)

	// Force does not wait; it still refuses the primary key.
	k, _ = parseAt(t, legacyRing, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	if err := k.Force(2, keyrotation.Disabled); err != nil || states(k)[2] != keyrotation.Disabled {
		t.Fatalf("Force(2, Disabled) at the demotion: %v, state %v", err, states(k)[2])
	}
	if err := k.Force(1, keyrotation.Disabled); !errors.Is(err, keyrotation.ErrUnsafe) || errors.Is(err, keyrotation.ErrInUse) {
		t.Errorf("Force(primary, Disabled): got %v, want ErrUnsafe for the primary key", err)
	}
	if err := k.Force(3, keyrotation.Active); err == nil || errors.Is(err, keyrotation.ErrUnsafe) || states(k)[3] != keyrotation.Active {
		t.Errorf("Force(3, Active): got %v, want an error of its own", err)
	}
	if err := k.Force(99, keyrotation.Disabled); !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("Force(missing, Disabled): got %v, want ErrUnknownKey", err)
	}
}

// TestDisableNeverPrimary checks that a key that was never primary, which
// sealed nothing, is disabled at once, whatever the waits.
func TestDisableNeverPrimary(t *testing.T) {
	k, _ := parseAt(t, legacyRing, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC))
	if err := k.SetMaxLifetime(math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	info := keyInfo(t, k, 3)
	if !info.Demoted.IsZero() || !info.DisableableAt.IsZero() {
		t.Errorf("key never primary: Demoted %v, DisableableAt %v; want both zero", info.Demoted, info.DisableableAt)
	}
	if p := keyInfo(t, k, 1); !p.Demoted.IsZero() || !p.DisableableAt.IsZero() {
		t.Errorf("primary key: Demoted %v, DisableableAt %v; want both zero", p.Demoted, p.DisableableAt)
	}
	if err := k.Disable(3); err != nil {
		t.Errorf("Disable of a key never primary: %v", err)
	}
}

// TestDisableLegacyFile checks a version 1 file, which records no
// demotions: the previous primary key counts as demoted when the primary key
// was promoted, and the file, rewritten, stays version 1.
func TestDisableLegacyFile(t *testing.T) {
	promoted := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	wantAt := promoted.Add(keyrotation.DefaultPropagationDelay + keyrotation.DefaultMaxLifetime + time.Second)
	k, clock := parseAt(t, legacyRing, wantAt.Add(-time.Second))
	if d, l := k.Waits(); d != keyrotation.DefaultPropagationDelay || l != keyrotation.DefaultMaxLifetime {
		t.Errorf("Waits() = %v, %v; want the defaults %v, %v", d, l, keyrotation.DefaultPropagationDelay, keyrotation.DefaultMaxLifetime)
	}
	info := keyInfo(t, k, 2)
	if !info.Demoted.Equal(promoted) || !info.DisableableAt.Equal(wantAt) {
		t.Errorf("key 2: Demoted %v, DisableableAt %v; want %v, %v", info.Demoted, info.DisableableAt, promoted, wantAt)
	}
	if err := k.Disable(2); !errors.Is(err, keyrotation.ErrInUse) {
		t.Fatalf("Disable before DisableableAt: got %v, want ErrInUse", err)
	}
	if _, err := k.Add(); err != nil {
		t.Fatal(err)
	}
	clock.t = wantAt
	if err := k.Disable(2); err != nil {
		t.Fatalf("Disable at DisableableAt: %v", err)
	}
	data, parsed := reparse(t, k)
	if !bytes.Contains(data, []byte(`"version": 1`)) || bytes.Contains(data, []byte("demoted")) || bytes.Contains(data, []byte("max_lifetime")) {
		t.Errorf("a version 1 ring after add and disable:\n%s\nwant version 1 without version 3 fields", data)
	}
	if !sameKeys(parsed.Keys(), k.Keys()) {
		t.Errorf("after Marshal and Parse: %+v, want %+v", parsed.Keys(), k.Keys())
	}

	// Unchanged, it is written back byte for byte.
	same, _ := parseAt(t, legacyRing, wantAt)
	if data, _ := reparse(t, same); string(data) != legacyRing {
		t.Errorf("version 1 file written back as\n%s\nwant\n%s", data, legacyRing)
	}
}

// TestDemotionRecorded checks when the file records a demotion: not after
// a routine rotation, which the primary key's promotion implies, so that
// its file stays version 1, but for a key demoted before the last
// promotion, whose file becomes version 3 until that key is removed.
func TestDemotionRecorded(t *testing.T) {
	k, clock := parseAt(t, legacyRing, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	if err := k.Promote(3); err != nil {
		t.Fatal(err)
	}
	first := clock.t
	// Key 1 was demoted now, as key 3 was promoted: nothing to record.
	// Key 2 was demoted on 2 March: that is recorded.
	data, parsed := reparse(t, k)
	if !bytes.Contains(data, []byte(`"version": 3`)) || bytes.Count(data, []byte(`"demoted"`)) != 1 ||
		!bytes.Contains(data, []byte(`"demoted": "2026-03-02T12:00:00Z"`)) {
		t.Errorf("after a second rotation:\n%s\nwant version 3 with key 2 demoted on 2 March", data)
	}
	if !sameKeys(parsed.Keys(), k.Keys()) {
		t.Errorf("after Marshal and Parse: %+v, want %+v", parsed.Keys(), k.Keys())
	}
	if again, err := parsed.Marshal(); err != nil || !bytes.Equal(again, data) {
		t.Errorf("a version 3 file written back: %v\n%s\nwant\n%s", err, again, data)
	}
	for id, want := range map[uint32]time.Time{1: first, 2: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)} {
		if got := keyInfo(t, parsed, id).Demoted; !got.Equal(want) {
			t.Errorf("key %d: Demoted %v, want %v", id, got, want)
		}
	}

	// Once key 2 is gone, the file needs no version 3 field.
	if err := k.Force(2, keyrotation.Disabled); err != nil {
		t.Fatal(err)
	}
	if err := k.Remove(2); err != nil {
		t.Fatal(err)
	}
	if data, _ := reparse(t, k); !bytes.Contains(data, []byte(`"version": 1`)) || bytes.Contains(data, []byte("demoted")) {
		t.Errorf("after the old key's removal:\n%s\nwant version 1 without demoted", data)
	}

	// Rolling back to a demoted key forgets its demotion, and records the
	// other's.
	clock.t = clock.t.Add(time.Hour)
	if err := k.Force(1, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	if got := keyInfo(t, k, 3).Demoted; !got.Equal(clock.t) {
		t.Errorf("key 3 after the rollback: Demoted %v, want %v", got, clock.t)
	}
	if got := keyInfo(t, k, 1); !got.Demoted.IsZero() || !got.Promoted.Equal(clock.t) {
		t.Errorf("key 1 after the rollback: %+v, want promoted at %v and no demotion", got, clock.t)
	}
}

// TestDemotionOfDisabledKeyNotRecorded checks that a promotion records no
// demotion for a disabled key, whose file then stays version 1: its
// demotion counts from the new promotion, which only delays a Disable after
// an Enable.
func TestDemotionOfDisabledKeyNotRecorded(t *testing.T) {
	k, clock := parseAt(t, legacyRing, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	if err := k.Disable(2); err != nil {
		t.Fatal(err)
	}
	if err := k.Promote(3); err != nil {
		t.Fatal(err)
	}
	data, parsed := reparse(t, k)
	if !bytes.Contains(data, []byte(`"version": 1`)) || bytes.Contains(data, []byte("demoted")) {
		t.Errorf("a promotion beside a disabled former primary key:\n%s\nwant version 1 without demoted", data)
	}
	for _, id := range []uint32{1, 2} {
		if got := keyInfo(t, parsed, id).Demoted; !got.Equal(clock.t) {
			t.Errorf("key %d: Demoted %v, want the promotion %v", id, got, clock.t)
		}
	}
	if err := k.Enable(2); err != nil {
		t.Fatal(err)
	}
	if err := k.Disable(2); !errors.Is(err, keyrotation.ErrInUse) {
		t.Errorf("Disable of key 2 enabled again: got %v, want ErrInUse", err)
	}
}

// TestDemotionOfPrimaryWithoutPromotedTime checks that a primary key with no
// promoted time, as a file written by hand may have, keeps its guard once
// demoted: the file records the demotion, since nothing implies it.
func TestDemotionOfPrimaryWithoutPromotedTime(t *testing.T) {
	ring := strings.Replace(legacyRing, `"promoted": "2026-03-02T12:00:00Z",`, ``, 1)
	k, clock := parseAt(t, ring, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	// Key 2's demotion counts from the latest time the ring records, key
	// 3's creation on 5 March.
	if got, want := keyInfo(t, k, 2).Demoted, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("key 2 under a primary key without promoted time: Demoted %v, want %v", got, want)
	}
	if err := k.Promote(3); err != nil {
		t.Fatal(err)
	}
	data, parsed := reparse(t, k)
	if got := keyInfo(t, parsed, 1).Demoted; !got.Equal(clock.t) {
		t.Errorf("key 1 after Marshal and Parse: Demoted %v, want %v\n%s", got, clock.t, data)
	}
	parsed.SetClock(clock.now)
	if err := parsed.Disable(1); !errors.Is(err, keyrotation.ErrInUse) {
		t.Errorf("Disable of key 1 at once: got %v, want ErrInUse", err)
	}
}

// TestMaxLifetime checks the max lifetime's default, setter and place in
// the file: absent until set, then recorded, as version 3.
func TestMaxLifetime(t *testing.T) {
	k, clock := parseAt(t, legacyRing, time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC))
	if err := k.SetMaxLifetime(-time.Second); err == nil || !strings.HasPrefix(err.Error(), "keyrotation: ") {
		t.Errorf("negative max lifetime: got %v, want a keyrotation: error", err)
	}
	if err := k.SetMaxLifetime(30 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, l := k.Waits(); l != 30*24*time.Hour {
		t.Errorf("max lifetime = %v, want 720h", l)
	}
	data, parsed := reparse(t, k)
	if !bytes.Contains(data, []byte(`"version": 3`)) || !bytes.Contains(data, []byte(`"max_lifetime": "720h0m0s"`)) {
		t.Errorf("Marshal() =\n%s\nwant version 3 with max_lifetime 720h0m0s", data)
	}
	if _, l := parsed.Waits(); l != 30*24*time.Hour {
		t.Errorf("max lifetime after Marshal and Parse = %v, want 720h", l)
	}
	if got, want := keyInfo(t, k, 2).DisableableAt, time.Date(2026, 4, 1, 13, 0, 1, 0, time.UTC); !got.Equal(want) {
		t.Errorf("DisableableAt under 720h = %v, want %v", got, want)
	}
	// A watched ring takes the file's max lifetime.
	watched, _ := parseAt(t, legacyRing, clock.t)
	watched.Replace(parsed)
	if _, l := watched.Waits(); l != 30*24*time.Hour {
		t.Errorf("max lifetime after Replace = %v, want 720h", l)
	}

	// No waits at all: Disable from the demotion itself.
	for _, set := range []func(time.Duration) error{k.SetMaxLifetime, k.SetPropagationDelay} {
		if err := set(0); err != nil {
			t.Fatal(err)
		}
	}
	info := keyInfo(t, k, 2)
	if !info.DisableableAt.Equal(info.Demoted) {
		t.Errorf("no waits: DisableableAt %v, want Demoted %v", info.DisableableAt, info.Demoted)
	}
	if err := k.Disable(2); err != nil {
		t.Errorf("Disable with no waits: %v", err)
	}
}

// TestDisableHugeLifetime checks that the largest lifetimes hold Disable
// back rather than overflow into the past and let it through at once.
func TestDisableHugeLifetime(t *testing.T) {
	for _, lifetime := range []time.Duration{2562047*time.Hour + 47*time.Minute + 16*time.Second, math.MaxInt64} {
		k, _ := parseAt(t, legacyRing, time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC))
		for _, set := range []func(time.Duration) error{k.SetMaxLifetime, k.SetPropagationDelay} {
			if err := set(lifetime); err != nil {
				t.Fatal(err)
			}
		}
		if got := keyInfo(t, k, 2).DisableableAt; got.Year() < 2200 {
			t.Errorf("lifetime %v: DisableableAt = %v, want centuries from now", lifetime, got)
		}
		if err := k.Disable(2); !errors.Is(err, keyrotation.ErrInUse) {
			t.Errorf("lifetime %v: Disable = %v, want ErrInUse", lifetime, err)
		}
	}
}

// TestEmergencyRotateRecordsDemotion checks that an emergency rotation
// demotes the primary key like Promote, and leaves the file at the lowest
// version that holds the ring, for every server to load at once.
func TestEmergencyRotateRecordsDemotion(t *testing.T) {
	k, clock := parseAt(t, legacyRing, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	if err := k.Promote(3); err != nil { // key 2's demotion is recorded
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Hour)
	id, _, err := k.EmergencyRotate()
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []uint32{1, 2, 3} {
		if got := keyInfo(t, k, old); !got.Demoted.Equal(clock.t) || got.State != keyrotation.Disabled {
			t.Errorf("key %d after EmergencyRotate: %+v, want disabled, demoted at %v", old, got, clock.t)
		}
	}
	if got := keyInfo(t, k, id).Promoted; !got.Equal(clock.t) {
		t.Errorf("new key: Promoted %v, want %v", got, clock.t)
	}
	if data, _ := reparse(t, k); !bytes.Contains(data, []byte(`"version": 1`)) {
		t.Errorf("after EmergencyRotate:\n%s\nwant version 1", data)
	}
}

func TestParseDemotionErrors(t *testing.T) {
	withDemoted := func(version, key int, value string) string {
		ring := strings.Replace(legacyRing, `"version": 1`, `"version": `+string(rune('0'+version)), 1)
		id := `"id": ` + string(rune('0'+key)) + `,`
		return strings.Replace(ring, id, id+` "demoted": "`+value+`",`, 1)
	}
	tests := []struct {
		name  string
		data  string
		key   int
		field string
	}{
		{"demoted in version 1", withDemoted(1, 2, "2026-03-02T12:00:00Z"), 1, "demoted"},
		{"demoted in version 2", withDemoted(2, 2, "2026-03-02T12:00:00Z"), 1, "demoted"},
		{"demoted on the primary key", withDemoted(3, 1, "2026-03-02T12:00:00Z"), 0, "demoted"},
		{"demoted not RFC 3339", withDemoted(3, 2, "2026-03-02 12:00:00"), 1, "demoted"},
		{"demoted after year 9999", withDemoted(3, 2, "9999-12-31T23:30:00-01:00"), 1, "demoted"},
		{"demoted twice", strings.Replace(withDemoted(3, 2, "2026-03-02T12:00:00Z"), `"id": 2,`, `"id": 2, "demoted": "2026-03-02T12:00:00Z",`, 1), 1, "demoted"},
		{"max_lifetime in version 1", strings.Replace(legacyRing, `"version": 1,`, `"version": 1, "max_lifetime": "1h",`, 1), -1, "max_lifetime"},
		{"max_lifetime in version 2, before it", `{"max_lifetime": "1h", "keys": [{"id": 1, "state": "primary", "created": "2026-01-01T00:00:00Z", "secret": "` + secret1 + `"}], "version": 2}`, -1, "max_lifetime"},
		{"max_lifetime negative", strings.Replace(legacyRing, `"version": 1,`, `"version": 3, "max_lifetime": "-1h",`, 1), -1, "max_lifetime"},
		{"max_lifetime a number", strings.Replace(legacyRing, `"version": 1,`, `"version": 3, "max_lifetime": 3600,`, 1), -1, "max_lifetime"},
		{"max_lifetime in days", strings.Replace(legacyRing, `"version": 1,`, `"version": 3, "max_lifetime": "7d",`, 1), -1, "max_lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := keyrotation.Parse([]byte(tt.data))
			var pe *keyrotation.ParseError
			if k != nil || !errors.As(err, &pe) || !errors.Is(err, keyrotation.ErrInvalidKeyring) {
				t.Fatalf("Parse = %v, %v; want a ParseError\n%s", k, err, tt.data)
			}
			if pe.Key != tt.key || pe.Field != tt.field {
				t.Errorf("error %q: Key, Field = %d, %q; want %d, %q", err, pe.Key, pe.Field, tt.key, tt.field)
			}
			for _, s := range []string{secret1, secret2, secret3} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q holds a secret", err)
				}
			}
		})
	}
	// The same fields in version 3 parse.
	for _, data := range []string{
		withDemoted(3, 2, "2026-03-02T12:00:00Z"),
		strings.Replace(legacyRing, `"version": 1,`, `"version": 3, "max_lifetime": "1h",`, 1),
	} {
		if _, err := keyrotation.Parse([]byte(data)); err != nil {
			t.Errorf("Parse of a valid version 3 file: %v\n%s", err, data)
		}
	}
}
