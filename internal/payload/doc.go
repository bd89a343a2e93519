// Package payload is the binary encoding of a session's contents, shared by
// every store: the bytes sealed into a cookie are the bytes sealed into a
// server record.
//
// Version 1, all integers as encoding/binary varints:
//
//	byte     version (1)
//	byte     flags: bit0 revocable, bit1 persistent; other bits zero
//	string   session ID
//	string   user ID (empty when none)
//	varint   created (Unix seconds)
//	varint   issued - created
//	varint   idle deadline - issued
//	varint   absolute deadline - created
//	uvarint  number of values, then for each, in strictly increasing key order:
//	         string key, bytes value (its JSON encoding)
//	uvarint  number of flashes, then each as a string
//
// Version 2 is version 1 with the version byte 2 and, right after the
// absolute deadline, the session's own timeouts, which the Manager uses in
// place of its own (each bounded by its maximum):
//
//	uvarint  idle timeout in seconds, 0 for the Manager's
//	uvarint  lifetime in seconds, 0 for the Manager's
//
// A session with neither is written as version 1, and a version-2 payload
// with both zero is malformed, so that the encoding stays unique.
//
// A string or bytes field is a uvarint length followed by that many bytes.
// The encoding of given contents is unique, so known-answer vectors can
// freeze it.
package payload
