// Package format is the sealed token format, version 1:
//
//	offset size field
//	0      1    version  0x01 = AES-256-GCM, 96-bit random nonce, 128-bit tag, this layout
//	1      1    flags    bit0: 0 = whole session inline, 1 = reference to a server record; other bits 0
//	2      4    kid      uint32 big-endian, the key ring's ID of the sealing key
//	6      12   nonce
//	18     n    ciphertext
//	18+n   16   tag
//
// The token is the strict, unpadded base64url encoding of those bytes. The
// additional data authenticated with the ciphertext is
//
//	"sessionseal token v1" || the 6 header bytes || uint16 BE len(name) || name
//
// where name is the cookie's name, so that a token cannot move to another
// cookie, flag, format version or key.
package format
