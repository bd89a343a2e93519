package format

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/sessionseal/session/keyrotation"
)

// ErrInvalid reports a token that is not an authentic version-1 token for
// the name: every failure before and at authentication, except a key the
// ring lacks, which is an error matching keyrotation.ErrUnknownKey.
var ErrInvalid = errors.New("invalid token")

// Sizes of the layout.
const (
	Version1      = 0x01
	FlagReference = 0x01
	HeaderSize    = 6
	NonceSize     = 12
	TagSize       = 16
	// Overhead is the sealed size beyond the plaintext.
	Overhead = HeaderSize + NonceSize + TagSize
)

const aadLabel = "sessionseal token v1"

// Base64 is the token alphabet: base64url, unpadded, strict about the
// unused bits of the last character so that every token has one encoding.
var Base64 = base64.RawURLEncoding.Strict()

// Begin appends a version-1 header for kid and flags and a fresh nonce read
// from rand to dst. The caller appends the plaintext and then calls Seal
// with the index at which Begin started writing.
func Begin(dst []byte, flags byte, kid uint32, rand io.Reader) ([]byte, error) {
	start := len(dst)
	dst = append(dst, Version1, flags)
	dst = binary.BigEndian.AppendUint32(dst, kid)
	dst = append(dst, make([]byte, NonceSize)...)
	if _, err := io.ReadFull(rand, dst[start+HeaderSize:]); err != nil {
		return nil, err
	}
	return dst, nil
}

// Seal encrypts, in place, the plaintext that follows the header and nonce
// that Begin wrote at b[start:], and appends the tag. scratch is reused for
// the additional data.
func Seal(b []byte, start int, c *keyrotation.Cipher, name string, scratch []byte) []byte {
	// The tag must fit in b's capacity: Seal in place writes past the
	// plaintext, and a reallocation would leave b behind.
	b = slices.Grow(b, TagSize)
	t := b[start:]
	aad := AppendAAD(scratch[:0], t[:HeaderSize], name)
	body := HeaderSize + NonceSize
	t = c.Seal(t[:body], t[HeaderSize:body], t[body:], aad)
	return b[:start+len(t)]
}

// AppendAAD appends the additional data for a token with header h sealed
// for the cookie name.
func AppendAAD(dst, h []byte, name string) []byte {
	dst = append(dst, aadLabel...)
	dst = append(dst, h...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(name)))
	return append(dst, name...)
}

// MaxTokenLen is the longest token worth decoding: a longer one could not
// have come from a cookie the browser kept.
const MaxTokenLen = 4096

// MinTokenLen is the shortest token that can hold a header, nonce and tag.
var MinTokenLen = Base64.EncodedLen(Overhead)

// Open authenticates and decrypts token, a version-1 token with the given
// flags sealed for the cookie name, decoding it into buf and using scratch
// for the encoded bytes and the additional data (both reused when large
// enough). It returns the plaintext, which aliases the decoded buffer, and
// the ID of the key that opened it. The checks run in order: length before
// decoding, strict base64, minimum length, version and flags, one key
// lookup by ID, then authentication. Every failure is ErrInvalid, or an
// error matching keyrotation.ErrUnknownKey for a key the ring lacks.
func Open(buf []byte, token string, flags byte, name string, keys *keyrotation.Keyring, purpose keyrotation.Purpose, scratch []byte) (plaintext []byte, kid uint32, err error) {
	return OpenLimit(buf, token, MaxTokenLen, flags, name, keys, purpose, scratch)
}

// OpenLimit is Open for tokens of up to maxLen bytes in place of
// MaxTokenLen, for values that are kept elsewhere than in a cookie of
// their own (gorillacompat.CodecOptions.MaxLength).
func OpenLimit(buf []byte, token string, maxLen int, flags byte, name string, keys *keyrotation.Keyring, purpose keyrotation.Purpose, scratch []byte) (plaintext []byte, kid uint32, err error) {
	if len(token) < MinTokenLen || len(token) > maxLen {
		return nil, 0, ErrInvalid
	}
	// Strict base64 still skips CR and LF; refusing them keeps one
	// encoding per token.
	if strings.IndexByte(token, '\r') >= 0 || strings.IndexByte(token, '\n') >= 0 {
		return nil, 0, ErrInvalid
	}
	src := append(scratch[:0], token...)
	b, err := Base64.AppendDecode(buf[:0], src)
	if err != nil {
		return nil, 0, ErrInvalid
	}
	return OpenBytes(b, flags, name, keys, purpose, src)
}

// OpenBytes authenticates and decrypts b, the raw bytes of a version-1
// token with the given flags sealed for name, in place. It is Open without
// the base64 layer, for stores that keep sealed bytes as they are.
func OpenBytes(b []byte, flags byte, name string, keys *keyrotation.Keyring, purpose keyrotation.Purpose, scratch []byte) (plaintext []byte, kid uint32, err error) {
	if len(b) < Overhead || b[0] != Version1 || b[1] != flags {
		return nil, 0, ErrInvalid
	}
	kid = binary.BigEndian.Uint32(b[2:HeaderSize])
	c, err := keys.Cipher(purpose, kid)
	if err != nil {
		return nil, 0, err
	}
	aad := AppendAAD(scratch[:0], b[:HeaderSize], name)
	body := HeaderSize + NonceSize
	plaintext, err = c.Open(b[body:body], b[HeaderSize:body], b[body:], aad)
	if err != nil {
		return nil, 0, ErrInvalid
	}
	return plaintext, kid, nil
}
