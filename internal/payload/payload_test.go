package payload

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func sample() Data {
	return Data{
		ID: "q2D9vJm1c0bWw3nY8fR4sA", User: "alice", Revocable: true, Persistent: true,
		Created: 1795000000, Issued: 1795000600, IdleExpires: 1795087000, Expires: 1795604800,
		Entries: []Entry{{Key: "a", Value: []byte(`1`)}, {Key: "b", Value: []byte(`"x"`)}, {Key: "cart", Value: []byte(`[{"SKU":"A","Qty":1}]`)}},
		Flashes: []string{"hi", ""},
	}
}

// dirty returns the sample with every entry marked Dirty, which is not
// encoded: a loaded session has nothing changed yet.
func dirty() Data {
	d := sample()
	for i := range d.Entries {
		d.Entries[i].Dirty = true
	}
	return d
}

func TestRoundTrip(t *testing.T) {
	cases := map[string]Data{
		"sample":                sample(),
		"dirty entries":         dirty(),
		"empty":                 {},
		"negative times":        {Created: -5, Issued: -1, IdleExpires: 100, Expires: -3},
		"own timeouts":          func() Data { d := sample(); d.IdleTimeout, d.Lifetime = 600, 30*86400; return d }(),
		"own lifetime only":     {ID: "x", Lifetime: 1 << 40},
		"own idle timeout only": {ID: "x", IdleTimeout: 1},
		"extreme times":         {Created: math.MaxInt64, Issued: math.MaxInt64, IdleExpires: math.MaxInt64, Expires: math.MaxInt64},
		"lengths of two bytes": {ID: strings.Repeat("i", 128), Entries: []Entry{
			{Key: strings.Repeat("k", 200), Value: []byte(`"` + strings.Repeat("v", 16000) + `"`)}}},
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			b := d.Append(nil)
			if len(b) != d.Size() {
				t.Errorf("Size: got %d, encoding has %d bytes", d.Size(), len(b))
			}
			var got Data
			if err := Parse(&got, b); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if again := got.Append(nil); !bytes.Equal(again, b) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", again, b)
			}
			if got.ID != d.ID || got.User != d.User || got.Revocable != d.Revocable || got.Persistent != d.Persistent ||
				got.Created != d.Created || got.Issued != d.Issued || got.IdleExpires != d.IdleExpires || got.Expires != d.Expires ||
				got.IdleTimeout != d.IdleTimeout || got.Lifetime != d.Lifetime ||
				len(got.Entries) != len(d.Entries) || len(got.Flashes) != len(d.Flashes) {
				t.Errorf("got %+v, want %+v", got, d)
			}
			for i := range min(len(got.Entries), len(d.Entries)) {
				if g, w := got.Entries[i], d.Entries[i]; g.Key != w.Key || !bytes.Equal(g.Value, w.Value) || g.Dirty {
					t.Errorf("entry %d: got %q=%s dirty %v, want %q=%s not dirty", i, g.Key, g.Value, g.Dirty, w.Key, w.Value)
				}
			}
			if !slices.Equal(got.Flashes, d.Flashes) {
				t.Errorf("flashes: got %q, want %q", got.Flashes, d.Flashes)
			}
		})
	}
}

func TestEveryTruncationIsMalformed(t *testing.T) {
	own := sample()
	own.IdleTimeout, own.Lifetime = 600, 30*86400
	for name, d := range map[string]Data{"version 1": sample(), "version 2": own} {
		b := d.Append(nil)
		for n := range len(b) {
			var got Data
			if err := Parse(&got, b[:n]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s, length %d of %d: got %v, want ErrMalformed", name, n, len(b), err)
			}
		}
		var got Data
		if err := Parse(&got, append(b, 0)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s, trailing byte: got %v, want ErrMalformed", name, err)
		}
	}
}

func TestRejectsNonCanonical(t *testing.T) {
	unsorted := sample()
	unsorted.Entries[0], unsorted.Entries[1] = unsorted.Entries[1], unsorted.Entries[0]
	dup := sample()
	dup.Entries[1].Key = "a"
	s := sample()
	badVersion := s.Append(nil)
	badVersion[0] = 3
	// Version 2 with no timeout of its own would be a second encoding of
	// a version-1 session.
	noTimeouts := s.Append(nil)
	noTimeouts[0] = 2
	end := 2 + strSize(len(s.ID)) + strSize(len(s.User)) + varintSize(s.Created) + varintSize(s.Issued-s.Created) +
		varintSize(s.IdleExpires-s.Issued) + varintSize(s.Expires-s.Created)
	noTimeouts = slices.Concat(noTimeouts[:end], []byte{0, 0}, noTimeouts[end:])
	own := sample()
	own.Lifetime = 1
	hugeTimeout := own.Append(nil)
	hugeTimeout = slices.Concat(hugeTimeout[:end+1], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, hugeTimeout[end+2:])
	badFlags := s.Append(nil)
	badFlags[1] |= 0x80
	var empty Data
	e := empty.Append(nil)
	hugeCount := append(e[:len(e)-2], 0xff, 0xff, 0xff, 0xff, 0x0f, 0)
	cases := map[string][]byte{
		"unsorted keys":              unsorted.Append(nil),
		"duplicate keys":             dup.Append(nil),
		"version 3":                  badVersion,
		"version 2 without timeouts": noTimeouts,
		"timeout beyond int64":       hugeTimeout,
		"unknown flag":               badFlags,
		"huge count":                 hugeCount,
		"empty":                      nil,
		"overflowing deadline": func() []byte {
			d := Data{Created: math.MaxInt64, Issued: math.MaxInt64, IdleExpires: math.MaxInt64, Expires: math.MaxInt64}
			b := d.Append(nil)
			b[len(b)-3] = 2 // the absolute deadline's delta, zigzag +1
			return b
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			var got Data
			if err := Parse(&got, b); !errors.Is(err, ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func TestParseAllocations(t *testing.T) {
	s := sample()
	b := s.Append(nil)
	var d Data
	allocs := testing.AllocsPerRun(100, func() {
		if err := Parse(&d, b); err != nil {
			t.Fatal(err)
		}
	})
	// One copy of the bytes as a string, the entries and the flashes.
	if allocs > 3 {
		t.Errorf("Parse: %v allocations, want at most 3", allocs)
	}
}

func TestRejectsPaddedVarints(t *testing.T) {
	var d Data
	b := d.Append(nil)
	// The ID's length, 0, written as 0x80 0x00.
	padded := append([]byte{b[0], b[1], 0x80, 0x00}, b[3:]...)
	var got Data
	if err := Parse(&got, padded); !errors.Is(err, ErrMalformed) {
		t.Errorf("padded uvarint: got %v, want ErrMalformed", err)
	}
	d.Created = 1
	b = d.Append(nil)
	// Created, 1 (zigzag 2), written as 0x82 0x00.
	padded = append(append(slices.Clone(b[:4]), 0x82, 0x00), b[5:]...)
	if err := Parse(&got, padded); !errors.Is(err, ErrMalformed) {
		t.Errorf("padded varint: got %v, want ErrMalformed", err)
	}
}

// TestParsePackedAgreesWithParse checks that ParsePacked refuses exactly
// what Parse refuses, on the sample's encoding with each byte replaced and
// cut at each length, and that what it accepts reads, encodes and unpacks
// as what Parse gives.
func TestParsePackedAgreesWithParse(t *testing.T) {
	s := sample()
	valid := [][]byte{s.Append(nil), (&Data{}).Append(nil), (&Data{ID: "x", Entries: []Entry{{Key: "k", Value: []byte(`""`)}}}).Append(nil)}
	var inputs [][]byte
	for _, b := range valid {
		for n := range len(b) + 1 {
			inputs = append(inputs, b[:n], append(slices.Clone(b[:n]), 0))
		}
		for i := range b {
			for _, c := range []byte{0, 1, 2, 'a', 'c', 0x7f, 0x80, 0xff, b[i] ^ 1, b[i] + 1, b[i] - 1} {
				m := slices.Clone(b)
				m[i] = c
				inputs = append(inputs, m)
			}
		}
	}
	accepted := 0
	for _, in := range inputs {
		var want, got Data
		wantErr := Parse(&want, slices.Clone(in))
		gotErr := ParsePacked(&got, slices.Clone(in))
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && !errors.Is(gotErr, ErrMalformed)) {
			t.Fatalf("%x: ParsePacked: %v, Parse: %v", in, gotErr, wantErr)
		}
		if gotErr != nil {
			continue
		}
		accepted++
		for _, e := range want.Entries {
			if v, ok := got.Lookup(e.Key); !ok || !bytes.Equal(v, e.Value) {
				t.Errorf("%x: Lookup(%q): got %s, %v; want %s", in, e.Key, v, ok, e.Value)
			}
			for _, absent := range []string{e.Key + "\x00", e.Key[:len(e.Key)/2]} {
				if _, ok := want.Find(absent); ok {
					continue
				}
				if v, ok := got.Lookup(absent); ok {
					t.Errorf("%x: Lookup(%q) of an absent key: got %s", in, absent, v)
				}
			}
		}
		if enc := got.Append(nil); !bytes.Equal(enc, in) || got.Size() != len(in) {
			t.Errorf("%x: packed encodes as %x, size %d", in, enc, got.Size())
		}
		got.Unpack()
		if !equalData(got, want) {
			t.Errorf("%x: unpacked %+v, Parse gave %+v", in, got, want)
		}
	}
	if accepted < len(valid) {
		t.Fatalf("only %d of the inputs parsed, want at least the %d valid ones", accepted, len(valid))
	}
}

// equalData reports whether a and b hold the same contents.
func equalData(a, b Data) bool {
	return a.ID == b.ID && a.User == b.User && a.Revocable == b.Revocable && a.Persistent == b.Persistent &&
		a.Created == b.Created && a.Issued == b.Issued && a.IdleExpires == b.IdleExpires && a.Expires == b.Expires &&
		slices.EqualFunc(a.Entries, b.Entries, func(x, y Entry) bool {
			return x.Key == y.Key && bytes.Equal(x.Value, y.Value) && x.Dirty == y.Dirty
		}) &&
		slices.Equal(a.Flashes, b.Flashes) && bytes.Equal(a.packed, b.packed)
}

func TestParsePackedAllocations(t *testing.T) {
	s := sample()
	b := s.Append(nil)
	var d Data
	allocs := testing.AllocsPerRun(100, func() {
		if err := ParsePacked(&d, b); err != nil {
			t.Fatal(err)
		}
	})
	// The ID and the user.
	if allocs > 2 {
		t.Errorf("ParsePacked: %v allocations, want at most 2", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if _, ok := d.Lookup("cart"); !ok {
			t.Fatal("no cart")
		}
	})
	if allocs != 0 {
		t.Errorf("Lookup: %v allocations, want none", allocs)
	}
}

// TestGrowthBoundsAging: however a session's issued time and idle deadline
// move within its lifetime, its encoding stays within Size plus Growth of
// the encoding it started with.
func TestGrowthBoundsAging(t *testing.T) {
	for _, lifetime := range []int64{1, 63, 64, 8191, 8192, 86400, 30 * 86400, 1 << 40} {
		for _, idle := range []int64{1, 60, 1800, 86400, 1 << 30} {
			d := sample()
			d.Issued, d.IdleExpires, d.Expires = d.Created, d.Created+min(idle, lifetime), d.Created+lifetime
			bound := d.Size() + Growth(d.Created, d.Issued, d.IdleExpires, d.Expires)
			for _, age := range []int64{0, 1, 63, 64, lifetime / 2, lifetime - 1, lifetime} {
				aged := d
				aged.Issued = d.Created + min(age, lifetime)
				for _, left := range []int64{0, 1, idle, lifetime} {
					aged.IdleExpires = min(aged.Issued+left, d.Expires)
					if got := len(aged.Append(nil)); got > bound {
						t.Fatalf("lifetime %d, idle %d, age %d, idle left %d: %d bytes, over the bound %d",
							lifetime, idle, age, left, got, bound)
					}
				}
			}
		}
	}
}
