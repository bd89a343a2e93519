package fuzz

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/sessionseal/session/keyrotation"
)

// FuzzKeyringParse feeds arbitrary key ring files to keyrotation.Parse. It
// must never panic; an error matches ErrInvalidKeyring and repeats no more
// of the file than a field name; a ring that parses keeps the invariants
// (exactly one primary, at least one key) and survives Marshal and Parse
// unchanged, enabled and demotion times and the waits included, whatever
// the clock says.
func FuzzKeyringParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"keys":[{"id":1,"state":"primary","created":"2026-11-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}`))
	f.Add([]byte(`{"version":1,"propagation_delay":"15m","keys":[
		{"id":1,"state":"primary","created":"2026-11-01T00:00:00Z","promoted":"2026-11-02T00:00:00.5+02:00","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id":4294967295,"state":"disabled","created":"2026-10-01T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}`))
	// Times at both ends of the years the file holds, reached through
	// offsets, and the largest delay: a changed digit takes them out of range.
	f.Add([]byte(`{"version":2,"propagation_delay":"2562047h47m16.854775807s","keys":[{"id":1,"state":"primary","created":"0000-01-01T01:00:00+01:00","promoted":"9999-12-31T22:59:59.999999999-01:00","enabled":"2026-01-01T00:00:00.000000001Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}`))
	// Version 3: a recorded demotion, the largest max lifetime, a demotion
	// in the last second of year 9999, and one implied by the primary
	// key's promotion.
	f.Add([]byte(`{"version":3,"max_lifetime":"2562047h47m16.854775807s","keys":[
		{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","promoted":"2026-03-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id":2,"state":"active","created":"2025-01-01T00:00:00Z","promoted":"2025-02-01T00:00:00Z","demoted":"9999-12-31T22:59:59.999999999-01:00","enabled":"2026-02-01T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="},
		{"id":3,"state":"disabled","created":"2025-06-01T00:00:00Z","promoted":"2025-07-01T00:00:00Z","secret":"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="}]}`))
	f.Add([]byte(`{"version":4,"keys":[]}`))
	f.Add([]byte(`{"keys":[{"id":1,"id":2}],"version":1}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := keyrotation.Parse(data)
		if err != nil {
			if !errors.Is(err, keyrotation.ErrInvalidKeyring) {
				t.Fatalf("error %v does not match ErrInvalidKeyring", err)
			}
			if run := echoed(err.Error(), data); run != "" {
				t.Fatalf("error %q repeats %q of the file", err, run)
			}
			return
		}
		keys := k.Keys()
		primary, _, err := k.Primary(keyrotation.PurposeCookie)
		if err != nil || len(keys) == 0 || keys[0].State != keyrotation.Primary || keys[0].ID != primary {
			t.Fatalf("parsed ring breaks the invariants: %+v", keys)
		}
		for _, key := range keys[1:] {
			if key.State == keyrotation.Primary {
				t.Fatalf("two primary keys: %+v", keys)
			}
		}
		out, err := k.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := keyrotation.Parse(out)
		if err != nil {
			t.Fatalf("a marshalled ring does not parse: %v", err)
		}
		if got := again.Keys(); !sameKeys(got, keys) {
			t.Fatalf("Marshal and Parse changed the keys:\n%+v\nwant\n%+v", got, keys)
		}
		delay, lifetime := k.Waits()
		if d, l := again.Waits(); d != delay || l != lifetime {
			t.Fatalf("Marshal and Parse changed the waits: %v, %v; want %v, %v", d, l, delay, lifetime)
		}
		out2, err := again.Marshal()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("Marshal, Parse, Marshal changed the ring:\n%s\n%s", out, out2)
		}
	})
}

// maxEcho is the longest run of a key ring file that an error about it may
// repeat: a field name of up to 32 bytes that the error names, with what
// surrounds it in both the file and the error, as in ` "name": `. A secret
// takes 44 bytes.
const maxEcho = 1 + 1 + 32 + 1 + 1 + 1

// echoed returns the first run of msg longer than maxEcho bytes that data
// holds, or "".
func echoed(msg string, data []byte) string {
	for i := 0; i+maxEcho < len(msg); i++ {
		if run := msg[i : i+maxEcho+1]; bytes.Contains(data, []byte(run)) {
			return run
		}
	}
	return ""
}

// sameKeys reports whether a and b describe the same keys, ignoring seal
// counts.
func sameKeys(a, b []keyrotation.KeyInfo) bool {
	return slices.EqualFunc(a, b, func(x, y keyrotation.KeyInfo) bool {
		return x.ID == y.ID && x.State == y.State && x.Created.Equal(y.Created) &&
			x.Promoted.Equal(y.Promoted) && x.Enabled.Equal(y.Enabled) &&
			x.PromotableAt.Equal(y.PromotableAt) && x.Demoted.Equal(y.Demoted) &&
			x.DisableableAt.Equal(y.DisableableAt)
	})
}
