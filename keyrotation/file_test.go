package keyrotation_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

// The tests named TestRingWrittenBackUnreadable* keep a finding of
// FuzzKeyringParse from coming back: Parse accepted times that Marshal
// could not write in a form Parse accepts (one before year 0000 once in
// UTC, written as "-0001-12-31T23:00:00Z"), so that a rotation step wrote a
// file that no server could load. A ring too large for MaxFileSize as
// Marshal writes it led to the same end.

// ringWithTime returns a version 2 file whose primary key has value in
// field ("created", "promoted" or "enabled").
func ringWithTime(field, value string) string {
	times := map[string]string{"created": "2026-01-01T00:00:00Z", field: value}
	var b strings.Builder
	b.WriteString(`{"version": 2, "keys": [{"id": 1, "state": "primary"`)
	for _, name := range []string{"created", "promoted", "enabled"} {
		if t, ok := times[name]; ok {
			fmt.Fprintf(&b, ", %q: %q", name, t)
		}
	}
	b.WriteString(`, "secret": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}`)
	return b.String()
}

// timeOf returns the time of field of key.
func timeOf(key keyrotation.KeyInfo, field string) time.Time {
	switch field {
	case "created":
		return key.Created
	case "promoted":
		return key.Promoted
	}
	return key.Enabled
}

func TestRingWrittenBackUnreadableTimesRefused(t *testing.T) {
	for _, value := range []string{
		"0000-01-01T00:00:00+01:00",       // the finding: before year 0000 in UTC
		"0000-01-01T0:00:00,0+01:00",      // the finding as the fuzzer wrote it
		"2026-01-01T0:00:00Z",             // one-digit hour
		"2026-01-01T00:00:00,5Z",          // comma before the fraction
		"9999-12-31T23:30:00-01:00",       // after year 9999 in UTC
		"2026-01-01T00:00:00.1234567891Z", // more than nanoseconds
		"2026-01-01T00:00:00.Z",
		"2026-01-01T00:00:00+24:00",
		"2026-01-01T00:00:00+23:60",
		"2026-01-01T00:00:00+0100",
		"2026-01-01T00:00:00",
		"2026-01-01t00:00:00z",
		"2026-01-01 00:00:00Z",
		"2026-1-01T00:00:00Z",
		"02026-01-01T00:00:00Z",
		"-0001-12-31T23:00:00Z",
		"2026-02-30T00:00:00Z",
		"2026-01-01T24:00:00Z",
		"2026-01-01T00:00:60Z",
		" 2026-01-01T00:00:00Z",
		"2026-01-01T00:00:00Z ",
		"２026-01-01T00:00:00Z",
		"",
	} {
		for _, field := range []string{"created", "promoted", "enabled"} {
			t.Run(field+"="+value, func(t *testing.T) {
				k, err := keyrotation.Parse([]byte(ringWithTime(field, value)))
				if k != nil || !errors.Is(err, keyrotation.ErrInvalidKeyring) {
					t.Fatalf("Parse = %v, %v, want nil, %v", k, err, keyrotation.ErrInvalidKeyring)
				}
				var pe *keyrotation.ParseError
				if !errors.As(err, &pe) || pe.Key != 0 || pe.Field != field {
					t.Fatalf("error %q: want a *ParseError for key 0, field %q", err, field)
				}
				if msg := err.Error(); strings.Contains(msg, "AAECAwQF") || !strings.Contains(msg, "RFC 3339") {
					t.Errorf("error %q: want one that asks for an RFC 3339 time and shows no secret", msg)
				}
			})
		}
	}
}

func TestRingWrittenBackUnreadableTimesKept(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Time
	}{
		{"2026-01-01T00:00:00Z", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00.5+02:00", time.Date(2025, 12, 31, 22, 0, 0, 5e8, time.UTC)},
		{"2026-01-01T00:00:00.500Z", time.Date(2026, 1, 1, 0, 0, 0, 5e8, time.UTC)},
		{"2026-01-01T00:00:00.123456789-09:30", time.Date(2026, 1, 1, 9, 30, 0, 123456789, time.UTC)},
		{"2026-01-01T00:00:00+00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00-00:00", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-01-01T00:00:00+23:59", time.Date(2025, 12, 31, 0, 1, 0, 0, time.UTC)},
		{"0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0000-01-01T01:00:00+01:00", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"0001-01-01T00:00:00Z", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31T23:59:59.999999999Z", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{"9999-12-31T22:59:59-01:00", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	} {
		for _, field := range []string{"created", "promoted", "enabled"} {
			t.Run(field+"="+tc.value, func(t *testing.T) {
				k, err := keyrotation.Parse([]byte(ringWithTime(field, tc.value)))
				if err != nil {
					t.Fatal(err)
				}
				if got := timeOf(k.Keys()[0], field); !got.Equal(tc.want) || got.Location() != time.UTC {
					t.Errorf("%s = %v, want %v", field, got, tc.want)
				}
				data, parsed := reparse(t, k)
				if got, want := parsed.Keys(), k.Keys(); !sameKeys(got, want) {
					t.Errorf("after Marshal and Parse, Keys() = %+v, want %+v", got, want)
				}
				again, err := parsed.Marshal()
				if err != nil || !bytes.Equal(again, data) {
					t.Errorf("Marshal, Parse, Marshal = %v\n%s\nwant\n%s", err, again, data)
				}
			})
		}
	}
}

func TestRingWrittenBackUnreadableDelay(t *testing.T) {
	const keys = `"keys":[{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}]}`
	for _, tc := range []struct {
		value string
		want  time.Duration // -1 for refused
	}{
		{"0", 0},
		{"-0", 0},
		{"+1h", time.Hour},
		{"1.5h", 90 * time.Minute},
		{".5s", 500 * time.Millisecond},
		{"1h1h", 2 * time.Hour},
		{"1ns", 1},
		{"2562047h47m16.854775807s", 1<<63 - 1},
		{"2562047h47m16.854775808s", -1},
		{"-1ns", -1},
		{"1d", -1},
		{"", -1},
	} {
		t.Run(tc.value, func(t *testing.T) {
			k, err := keyrotation.Parse([]byte(`{"version":1,"propagation_delay":"` + tc.value + `",` + keys))
			if tc.want < 0 {
				var pe *keyrotation.ParseError
				if !errors.As(err, &pe) || pe.Field != "propagation_delay" {
					t.Fatalf("Parse = %v, %v, want a *ParseError for field propagation_delay", k, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := propagationDelay(k); got != tc.want {
				t.Errorf("propagation delay = %v, want %v", got, tc.want)
			}
			if _, parsed := reparse(t, k); propagationDelay(parsed) != tc.want {
				t.Errorf("after Marshal and Parse, propagation delay = %v, want %v", propagationDelay(parsed), tc.want)
			}
		})
	}
}

// manyKeys returns a ring file without spaces of n keys, the first of them
// primary, with ten-digit IDs.
func manyKeys(n int) []byte {
	b := []byte(`{"version":1,"keys":[`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		state := "active"
		if i == 0 {
			state = "primary"
		}
		b = fmt.Appendf(b, `{"id":%d,"state":%q,"created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`, 1_000_000_000+i, state)
	}
	return append(b, "]}"...)
}

// TestRingWrittenBackUnreadableCompact checks that Parse refuses a ring
// that fits in MaxFileSize only without Marshal's spaces: it could be
// loaded, but never written back.
func TestRingWrittenBackUnreadableCompact(t *testing.T) {
	data := manyKeys(7000)
	if len(data) > keyrotation.MaxFileSize {
		t.Fatalf("test ring is %d bytes, want at most %d", len(data), keyrotation.MaxFileSize)
	}
	k, err := keyrotation.Parse(data)
	var pe *keyrotation.ParseError
	if !errors.As(err, &pe) || pe.Key != -1 || pe.Field != "keys" {
		t.Fatalf("Parse = %v, %v, want a *ParseError for field keys", k, err)
	}
	if want := "larger than 1048576 bytes"; !strings.Contains(pe.Problem, want) {
		t.Errorf("error %q: want it to say %q", err, want)
	}
}

// TestRingWrittenBackUnreadableNotWritten checks that WriteFile reads its
// bytes back before it replaces a file: a ring that Add has taken over
// MaxFileSize, which Parse would refuse, leaves the old file in place.
func TestRingWrittenBackUnreadableNotWritten(t *testing.T) {
	k, err := keyrotation.Parse(manyKeys(6000))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := k.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := k.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > keyrotation.MaxFileSize {
			break
		}
		// A key takes at most 166 bytes of the file.
		for range (keyrotation.MaxFileSize-len(data))/166 + 1 {
			if _, err := k.Add(); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = k.WriteFile(path)
	if !errors.Is(err, keyrotation.ErrInvalidKeyring) {
		t.Fatalf("WriteFile of a ring larger than MaxFileSize: error = %v, want one matching %v", err, keyrotation.ErrInvalidKeyring)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "keyrotation: ") || !strings.Contains(msg, path) || strings.Count(msg, "keyrotation:") != 1 {
		t.Errorf("error %q: want one keyrotation: prefix and the path", msg)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, old) {
		t.Errorf("file after a refused WriteFile = %d bytes, %v, want the old %d bytes", len(got), err, len(old))
	}
	if _, err := keyrotation.LoadFile(path); err != nil {
		t.Errorf("old file no longer loads: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want 1 (no temporary file left)", len(entries))
	}
}
