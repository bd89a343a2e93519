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
// A string or bytes field is a uvarint length followed by that many bytes.
// The encoding of given contents is unique, so known-answer vectors can
// freeze it.
package payload
