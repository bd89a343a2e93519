package payload

import (
	"errors"
	"testing"
)

func TestReadHeader(t *testing.T) {
	d := sample()
	b := d.Append(nil)
	h, err := ReadHeader(b)
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	if h.ID != d.ID || h.User != d.User || h.Created != d.Created {
		t.Errorf("got %+v, want ID %q user %q created %d", h, d.ID, d.User, d.Created)
	}
	// Every truncation inside the header is malformed; the header ends
	// with the creation time's varint.
	end := 2 + strSize(len(d.ID)) + strSize(len(d.User)) + varintSize(d.Created)
	for n := range end {
		if _, err := ReadHeader(b[:n]); !errors.Is(err, ErrMalformed) {
			t.Errorf("length %d of a %d-byte header: got %v, want ErrMalformed", n, end, err)
		}
	}
	if _, err := ReadHeader(b[:end]); err != nil {
		t.Errorf("the header alone: %v", err)
	}
	own := sample()
	own.IdleTimeout, own.Lifetime = 600, 30*86400
	if h, err := ReadHeader(own.Append(nil)); err != nil || h.ID != own.ID || h.User != own.User || h.Created != own.Created {
		t.Errorf("version 2: got %+v, %v; want the sample's header", h, err)
	}
	badVersion := d.Append(nil)
	badVersion[0] = 3
	badFlags := d.Append(nil)
	badFlags[1] |= 0x80
	for name, b := range map[string][]byte{"version 3": badVersion, "unknown flag": badFlags} {
		if _, err := ReadHeader(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
}
