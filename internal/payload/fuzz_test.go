package payload

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: whatever bytes Parse accepts, of either version, encode back
// to themselves (the encoding is unique), ParsePacked and ReadHeader agree
// with it, and nothing panics.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no vectors in testdata")
	}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		b, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Data
		if err := Parse(&d, b); err != nil {
			var p Data
			if ParsePacked(&p, b) == nil {
				t.Fatal("ParsePacked accepted what Parse refused")
			}
			return
		}
		if again := d.Append(nil); !bytes.Equal(again, b) || d.Size() != len(b) {
			t.Fatalf("re-encoding differs or Size %d is wrong:\n got %x\nwant %x", d.Size(), again, b)
		}
		var p Data
		if err := ParsePacked(&p, b); err != nil || !bytes.Equal(p.Append(nil), b) {
			t.Fatalf("ParsePacked: %v", err)
		}
		h, err := ReadHeader(b)
		if err != nil || h.ID != d.ID || h.User != d.User || h.Created != d.Created {
			t.Fatalf("ReadHeader: %+v, %v; want %q %q %d", h, err, d.ID, d.User, d.Created)
		}
		if d.IdleTimeout < 0 || d.Lifetime < 0 {
			t.Fatalf("negative timeouts %d %d", d.IdleTimeout, d.Lifetime)
		}
	})
}
