package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
