package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionseal/session/keyrotation"
)

// TestRingWrittenBackUnreadable replays a finding of FuzzKeyringParse: a
// ring whose promoted time lies before year 0000 once in UTC was listed,
// then add wrote it back as "-0001-12-31T23:00:00Z", which no later load
// accepted. The odd time must be refused at the first load, with an error
// that names the field, and the file left as it was.
func TestRingWrittenBackUnreadable(t *testing.T) {
	for _, promoted := range []string{
		"0000-01-01T00:00:00+01:00",  // as reported
		"0000-01-01T0:00:00,0+01:00", // as the fuzzer wrote it
	} {
		t.Run(promoted, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "k.json")
			ring := []byte(`{"version":1,"propagation_delay":"1h","keys":[{"id":1,"state":"primary",
 "created":"0000-01-01T00:00:00Z","promoted":"` + promoted + `",
 "secret":"0000000000000000000000000000000000000000000="}]}
`)
			if err := os.WriteFile(file, ring, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"list", "add", "list"} {
				r := cli(t, []string{file}, cmd, file)
				if r.code != 1 || !strings.Contains(r.stderr, `key 0: field "promoted": must be an RFC 3339 time`) {
					t.Errorf("%s: %+v, want exit 1 and an error naming field \"promoted\"", cmd, r)
				}
			}
			if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, ring) {
				t.Errorf("file = %q, %v, want it unchanged", got, err)
			}
		})
	}
}

// TestRingWrittenBackUnreadableTooLarge checks that add leaves a ring as it
// was when the ring with the new key would not load again: here, a file
// over the 1 MiB that a ring file may hold.
func TestRingWrittenBackUnreadableTooLarge(t *testing.T) {
	const maxFileSize = 1 << 20
	// A key takes at most this many bytes of the file: its ID has up to
	// ten digits.
	const keySize = 166
	// Start from a file without spaces, which parses at once, rather than
	// thousands of adds.
	data := []byte(`{"version":1,"keys":[{"id":1,"state":"primary","created":"2026-01-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`)
	for i := range 6000 {
		data = fmt.Appendf(data, `,{"id":%d,"state":"active","created":"2026-01-01T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}`, 1_000_000_000+i)
	}
	keys, err := keyrotation.Parse(append(data, "]}"...))
	if err != nil {
		t.Fatal(err)
	}
	// Add as many keys as surely fit, until less than one key's room is
	// left.
	for {
		data, err := keys.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		n := (maxFileSize - len(data)) / keySize
		if n == 0 {
			break
		}
		for range n {
			if _, err := keys.Add(); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := keys.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	// The next add fails, unless the new key's ID is short enough to fit,
	// which leaves no room for another.
	for range 2 {
		before, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r := cli(t, []string{file}, "add", file)
		loadRing(t, file)
		if r.code == 0 {
			continue
		}
		if want := file + " left unchanged: the new ring would not read back: larger than"; r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("add: %+v, want exit 1 and %q", r, want)
		}
		if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, before) {
			t.Errorf("file after a refused add = %d bytes, %v, want the %d bytes before", len(got), err, len(before))
		}
		return
	}
	t.Fatalf("add kept adding keys past %d bytes", maxFileSize)
}
