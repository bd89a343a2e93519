package payload

import "encoding/binary"

// Header is the start of a payload: what a store needs to know of a
// session, its ID, its user and when its lifetime started, without decoding
// its values.
type Header struct {
	ID      string
	User    string
	Created int64 // Unix seconds
}

// ReadHeader decodes the header of a payload, version 1 or 2, which share
// it. It reads only the
// fields of Header and does not check the rest of data: a caller that goes
// on to use the session still parses it whole with Parse.
func ReadHeader(data []byte) (Header, error) {
	if len(data) < 2 || (data[0] != Version1 && data[0] != Version2) || data[1]&^flagsKnown != 0 {
		return Header{}, ErrMalformed
	}
	off := 2
	field := func() (string, bool) {
		n, k := binary.Uvarint(data[off:])
		if k <= 0 || k != uvarintSize(n) || n > uint64(len(data)-off-k) {
			return "", false
		}
		off += k
		s := string(data[off : off+int(n)])
		off += int(n)
		return s, true
	}
	var h Header
	var ok bool
	if h.ID, ok = field(); !ok {
		return Header{}, ErrMalformed
	}
	if h.User, ok = field(); !ok {
		return Header{}, ErrMalformed
	}
	created, k := binary.Varint(data[off:])
	if k <= 0 || k != varintSize(created) {
		return Header{}, ErrMalformed
	}
	h.Created = created
	return h, nil
}
