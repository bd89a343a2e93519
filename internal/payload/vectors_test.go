package payload

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "write the known-answer vectors in testdata that do not exist yet")

// vectors are the contents frozen by testdata/<name>.hex; existing files
// are never rewritten, so that old vectors keep freezing the format.
var vectors = map[string]func() Data{
	"v1-sample": sample,
	"v2-own-timeouts": func() Data {
		d := sample()
		d.IdleTimeout, d.Lifetime = 30*86400, 90*86400
		return d
	},
	"v2-own-lifetime-only": func() Data {
		return Data{ID: "q2D9vJm1c0bWw3nY8fR4sA", Created: 1795000000, Issued: 1795000000,
			IdleExpires: 1795003600, Expires: 1795000900, Lifetime: 900}
	},
}

// TestVectors: each vector's contents encode to its file's bytes, and the
// bytes decode to the contents.
func TestVectors(t *testing.T) {
	for name, gen := range vectors {
		path := filepath.Join("testdata", name+".hex")
		d := gen()
		if _, err := os.Stat(path); err != nil && *update {
			if err := os.WriteFile(path, []byte(hex.EncodeToString(d.Append(nil))+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(strings.TrimSpace(string(text)))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Append(nil); !bytes.Equal(got, want) {
				t.Errorf("encoding differs:\n got %x\nwant %x", got, want)
			}
			var got Data
			if err := Parse(&got, want); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if again := got.Append(nil); !bytes.Equal(again, want) || got.IdleTimeout != d.IdleTimeout || got.Lifetime != d.Lifetime {
				t.Errorf("decoded %+v, want %+v", got, d)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(vectors) {
		t.Errorf("%d files in testdata, %d vectors: every file needs its contents here", len(files), len(vectors))
	}
}
