package payload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
)

// The first byte of a payload says its layout. Version 2 adds the
// session's own timeouts; a session without them is still written as
// version 1, so that its encoding, and every version-1 vector, stays as
// it was.
const (
	Version1 = 1
	Version2 = 2
)

const (
	flagRevocable = 1 << iota
	flagPersistent
	flagsKnown = flagRevocable | flagPersistent
)

// ErrMalformed reports bytes that are not a payload of a known version.
var ErrMalformed = errors.New("payload: malformed")

// Entry is one session value.
type Entry struct {
	Key   string
	Value []byte // JSON encoding
	Dirty bool   // changed since the session was loaded; not encoded
}

// Data is the content of one session. Times are Unix seconds.
type Data struct {
	ID          string
	User        string
	Revocable   bool
	Persistent  bool
	Created     int64
	Issued      int64
	IdleExpires int64
	Expires     int64
	// IdleTimeout and Lifetime are the session's own timeouts in seconds,
	// in place of the Manager's; zero means the Manager's, and a negative
	// value is encoded as zero. Version 2.
	IdleTimeout int64
	Lifetime    int64
	Entries     []Entry  // sorted by Key, keys unique; empty while packed
	Flashes     []string // empty while packed

	// packed holds the values and flashes as ParsePacked found them, still
	// encoded, until Unpack decodes them into Entries and Flashes.
	packed []byte
}

// Size returns the exact length of d's encoding.
func (d *Data) Size() int {
	n := 2 + strSize(len(d.ID)) + strSize(len(d.User)) +
		varintSize(d.Created) + varintSize(d.Issued-d.Created) +
		varintSize(d.IdleExpires-d.Issued) + varintSize(d.Expires-d.Created)
	if d.ownTimeouts() {
		n += uvarintSize(uint64(max(d.IdleTimeout, 0))) + uvarintSize(uint64(max(d.Lifetime, 0)))
	}
	if d.packed != nil {
		return n + len(d.packed)
	}
	n += uvarintSize(uint64(len(d.Entries))) + uvarintSize(uint64(len(d.Flashes)))
	for i := range d.Entries {
		n += strSize(len(d.Entries[i].Key)) + strSize(len(d.Entries[i].Value))
	}
	for _, f := range d.Flashes {
		n += strSize(len(f))
	}
	return n
}

// Growth returns the most bytes by which the encoding of a session
// started at started, saved at issued with its idle deadline at idle, and
// ending at deadline, can grow as it ages with its contents unchanged
// (times in Unix seconds). The issued time is encoded as an offset from
// the start, and the idle deadline as one from the issued time; either can
// grow up to the session's lifetime, deadline - started, and take more
// bytes. A store with a size limit counts this growth against it, so that
// a session it saved once fits again when it is saved unchanged.
func Growth(started, issued, idle, deadline int64) int {
	most := varintSize(deadline - started)
	return max(0, 2*most-varintSize(issued-started)-varintSize(idle-issued))
}

// Append appends d's encoding to b. d.Entries must be sorted with unique keys.
func (d *Data) Append(b []byte) []byte {
	var flags byte
	if d.Revocable {
		flags |= flagRevocable
	}
	if d.Persistent {
		flags |= flagPersistent
	}
	version := byte(Version1)
	if d.ownTimeouts() {
		version = Version2
	}
	b = append(b, version, flags)
	b = appendString(b, d.ID)
	b = appendString(b, d.User)
	b = binary.AppendVarint(b, d.Created)
	b = binary.AppendVarint(b, d.Issued-d.Created)
	b = binary.AppendVarint(b, d.IdleExpires-d.Issued)
	b = binary.AppendVarint(b, d.Expires-d.Created)
	if version == Version2 {
		b = binary.AppendUvarint(b, uint64(max(d.IdleTimeout, 0)))
		b = binary.AppendUvarint(b, uint64(max(d.Lifetime, 0)))
	}
	if d.packed != nil {
		// The encoding is unique: packed is what Unpack and Append would
		// write again.
		return append(b, d.packed...)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Entries)))
	for i := range d.Entries {
		b = appendString(b, d.Entries[i].Key)
		b = binary.AppendUvarint(b, uint64(len(d.Entries[i].Value)))
		b = append(b, d.Entries[i].Value...)
	}
	b = binary.AppendUvarint(b, uint64(len(d.Flashes)))
	for _, f := range d.Flashes {
		b = appendString(b, f)
	}
	return b
}

// Parse decodes data into d, replacing its contents. Entry values alias
// data, and every string shares one copy of it, so a loaded session costs a
// handful of allocations whatever its number of values. The caller must not
// modify data afterwards.
func Parse(d *Data, data []byte) error {
	r := reader{b: data, s: string(data)}
	r.head(d)
	r.tail(d)
	return r.done(d)
}

// ParsePacked is Parse for a session that may only be read: it checks data
// as Parse does, but leaves the values and flashes encoded in data, packed,
// and copies only the ID and the user. Lookup reads a value either way;
// anything else that reads or changes Entries or Flashes calls Unpack
// first. A request that reads a value or two then costs neither the
// entries nor a copy of every key. The caller must not modify data
// afterwards.
func ParsePacked(d *Data, data []byte) error {
	r := reader{b: data}
	r.head(d)
	start := r.off
	r.tail(nil)
	if err := r.done(d); err != nil {
		return err
	}
	d.packed = data[start:]
	return nil
}

// Unpack decodes the values and flashes that ParsePacked left packed into
// Entries and Flashes, which share one copy of their strings. It does
// nothing for data that is not packed.
func (d *Data) Unpack() {
	if d.packed == nil {
		return
	}
	// ParsePacked checked these bytes.
	r := reader{b: d.packed, s: string(d.packed)}
	d.packed = nil
	r.tail(d)
}

// Lookup returns the value stored under key, packed or not.
func (d *Data) Lookup(key string) ([]byte, bool) {
	if d.packed == nil {
		i, ok := d.Find(key)
		if !ok {
			return nil, false
		}
		return d.Entries[i].Value, true
	}
	r := reader{b: d.packed}
	for range r.count(2) {
		k, v := r.bytes(), r.bytes()
		switch {
		case string(k) == key:
			return v, true
		case string(k) > key: // keys are sorted
			return nil, false
		}
	}
	return nil, false
}

// head reads the version, the flags, the ID, the user and the times into d,
// replacing its contents.
func (r *reader) head(d *Data) {
	version := r.byte()
	if version != Version1 && version != Version2 {
		r.fail()
	}
	flags := r.byte()
	if flags&^flagsKnown != 0 {
		r.fail()
	}
	*d = Data{
		Revocable:  flags&flagRevocable != 0,
		Persistent: flags&flagPersistent != 0,
		ID:         r.string(),
		User:       r.string(),
		Created:    r.varint(),
	}
	d.Issued = r.add(d.Created, r.varint())
	d.IdleExpires = r.add(d.Issued, r.varint())
	d.Expires = r.add(d.Created, r.varint())
	if version == Version2 {
		d.IdleTimeout, d.Lifetime = r.timeout(), r.timeout()
		// Without timeouts of its own a session is version 1: one
		// encoding for given contents.
		if !d.ownTimeouts() {
			r.fail()
		}
	}
}

// ownTimeouts reports whether d has a timeout of its own, which only
// version 2 encodes.
func (d *Data) ownTimeouts() bool { return d.IdleTimeout > 0 || d.Lifetime > 0 }

// timeout reads a session's own timeout: a uvarint of seconds that fits
// an int64.
func (r *reader) timeout() int64 {
	v := r.uvarint()
	if v > math.MaxInt64 {
		r.fail()
		return 0
	}
	return int64(v)
}

// tail reads the values and flashes into d, or only checks them when d is
// nil.
func (r *reader) tail(d *Data) {
	// Each value takes at least two bytes, each flash one: a count larger
	// than the bytes left is malformed, and never sizes an allocation.
	n := r.count(2)
	if d != nil && n > 0 {
		d.Entries = make([]Entry, n)
	}
	var prev []byte
	for i := range n {
		key := r.bytes()
		end := r.off
		value := r.bytes()
		if i > 0 && bytes.Compare(key, prev) <= 0 {
			r.fail()
		}
		prev = key
		if d != nil {
			// Field by field: assigning the whole Entry costs a bulk
			// write barrier while the collector runs.
			e := &d.Entries[i]
			e.Key, e.Value = r.s[end-len(key):end], value
		}
	}
	n = r.count(1)
	if d != nil && n > 0 {
		d.Flashes = make([]string, n)
	}
	for i := range n {
		f := r.bytes()
		if d != nil {
			d.Flashes[i] = r.s[r.off-len(f) : r.off]
		}
	}
}

// done reports whether the reader met an error or bytes were left over,
// clearing d if so.
func (r *reader) done(d *Data) error {
	if r.err != nil || r.off != len(r.b) {
		*d = Data{}
		return ErrMalformed
	}
	return nil
}

// reader reads fields from b; s, when set, is the same bytes as a string,
// so that string fields are substrings of one copy, and otherwise each
// string field is a copy of its own. The first error sticks and every later
// read returns zero values.
type reader struct {
	b   []byte
	s   string
	off int
	err error
}

func (r *reader) fail() { r.err = ErrMalformed; r.off = len(r.b) }

func (r *reader) byte() byte {
	if r.off >= len(r.b) {
		r.fail()
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) uvarint() uint64 {
	// Nearly every length and count is under 128: one byte, canonical.
	// The longer encodings are read out of line, which keeps this way
	// short.
	if r.off < len(r.b) {
		if c := r.b[r.off]; c < 0x80 {
			r.off++
			return uint64(c)
		}
	}
	return r.longUvarint()
}

// longUvarint is uvarint for values of two bytes or more.
func (r *reader) longUvarint() uint64 {
	v, n := binary.Uvarint(r.b[r.off:])
	// A padded varint (0x80 0x00 for 0) would give the same contents a
	// second encoding.
	if n <= 0 || n != uvarintSize(v) {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 || n != varintSize(v) {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

// add returns base+delta, failing on overflow.
func (r *reader) add(base, delta int64) int64 {
	if (delta > 0 && base > math.MaxInt64-delta) || (delta < 0 && base < math.MinInt64-delta) {
		r.fail()
		return 0
	}
	return base + delta
}

// length reads a uvarint length and checks that many bytes remain.
func (r *reader) length() int {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.off) {
		r.fail()
		return 0
	}
	return int(n)
}

// count reads a uvarint count of items of at least minSize bytes each.
func (r *reader) count(minSize int) int {
	n := r.uvarint()
	if n > uint64((len(r.b)-r.off)/minSize) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) string() string {
	b := r.bytes()
	if r.s == "" {
		return string(b)
	}
	return r.s[r.off-len(b) : r.off]
}

func (r *reader) bytes() []byte {
	n := r.length()
	r.off += n
	return r.b[r.off-n : r.off : r.off]
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func strSize(n int) int { return uvarintSize(uint64(n)) + n }

func uvarintSize(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func varintSize(v int64) int {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	return uvarintSize(u)
}
