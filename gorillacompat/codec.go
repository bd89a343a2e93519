package gorillacompat

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/keyrotation"
)

// defaultMaxAge is the MaxAge of a Codec that sets none: 30 days, the
// default of gorilla/securecookie and gorilla/sessions.
const defaultMaxAge = 30 * 24 * time.Hour

// CodecOptions configures a Codec. The zero value is the usual choice.
type CodecOptions struct {
	// Serializer turns values into bytes and back. Default
	// securecookie.GobEncoder{}, the serializer of gorilla/sessions, which
	// handles its map[interface{}]interface{} values and needs the concrete
	// types stored in them registered with gob.Register, as before.
	Serializer securecookie.Serializer

	// MaxAge rejects values sealed longer ago than this, with an error
	// matching session.ErrExpired. Default 30 days, like
	// securecookie. At least one second. Set it to the MaxAge of the
	// sessions.Options: unlike a *securecookie.SecureCookie, a Codec is not
	// changed by (*sessions.CookieStore).MaxAge.
	MaxAge time.Duration

	// Now returns the current time, which Encode seals and Decode checks
	// MaxAge against. Default time.Now.
	Now func() time.Time

	// MaxLength is the longest name plus value, in bytes, that Encode
	// produces and Decode accepts; Decode checks it before decoding
	// anything. Default session.MaxCookieSize (4096), beyond which browsers
	// drop a cookie. Only raise it for values kept elsewhere than in a
	// cookie, such as the session files of a gorilla/sessions
	// FilesystemStore, whose MaxLength method reaches only a
	// *securecookie.SecureCookie: set it to the largest session you mean
	// to accept, say 1 << 20. There is no unlimited setting, since the
	// store decodes its cookie, which holds the session's ID and comes
	// from the client, with the same Codec and so under the same limit.
	MaxLength int
}

// Codec is a securecookie.Codec that seals values with AES-256-GCM under a
// key ring, in the token format of package cookiestore, so that a
// gorilla/sessions CookieStore can use the ring and its rotation. Create
// one with NewCodec; it is safe for concurrent use.
type Codec struct {
	keys   *keyrotation.Keyring
	sz     securecookie.Serializer
	maxAge int64 // seconds
	maxLen int   // name plus value, in bytes
	now    func() time.Time
	rand   io.Reader // nonces; replaced only by tests
}

var _ securecookie.Codec = (*Codec)(nil)

// NewCodec returns a Codec that seals values under the primary cookie
// subkey of keys and opens them with the key their header names: one
// lookup, no trial decryption. The ring may change while the Codec uses it
// (rotation, hot reload), as for cookiestore.
//
// Decode never re-seals a value opened with an older key: gorilla/sessions
// writes a cookie only when the application calls Save, which seals with
// the primary key of the moment. Keep a former primary key active for
// MaxAge after promoting its successor.
func NewCodec(keys *keyrotation.Keyring, opts CodecOptions) (*Codec, error) {
	if keys == nil {
		return nil, errors.New("gorillacompat: nil key ring")
	}
	if _, _, err := keys.Primary(keyrotation.PurposeCookie); err != nil {
		return nil, fmt.Errorf("gorillacompat: %w", err)
	}
	c := &Codec{keys: keys, sz: opts.Serializer, maxLen: opts.MaxLength, now: opts.Now, rand: rand.Reader}
	if c.sz == nil {
		c.sz = securecookie.GobEncoder{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	switch {
	case c.maxLen == 0:
		c.maxLen = session.MaxCookieSize
	case c.maxLen < 0:
		return nil, fmt.Errorf("gorillacompat: negative MaxLength %d", c.maxLen)
	}
	switch maxAge := opts.MaxAge; {
	case maxAge == 0:
		c.maxAge = int64(defaultMaxAge / time.Second)
	case maxAge < time.Second:
		return nil, fmt.Errorf("gorillacompat: MaxAge %v is under one second", maxAge)
	default:
		c.maxAge = int64(maxAge / time.Second)
	}
	return c, nil
}

// issuedSize is the length of the issued-at time, Unix seconds as a
// big-endian uint64, that starts every plaintext.
const issuedSize = 8

// codecAADName is the name bound into a Codec token's additional data: the
// cookie's name behind a prefix that no cookie name can contain (NUL), so
// that a Codec token and a cookiestore token for the same cookie, sealed
// under the same subkey, never open as each other.
func codecAADName(name string) string { return "securecookie\x00" + name }

// Encode serializes value and seals it, with the current time, for the
// cookie name. It returns an error matching session.ErrTooLarge, a
// *session.SizeError, when the name and value together would exceed
// MaxLength (by default session.MaxCookieSize). Errors implement
// securecookie.Error.
func (c *Codec) Encode(name string, value any) (string, error) {
	b, err := c.sz.Serialize(value)
	if err != nil {
		return "", &codecError{kind: usageError, msg: "serializing value", err: err, cause: err}
	}
	size := len(name) + format.Base64.EncodedLen(format.Overhead+issuedSize+len(b))
	if size > c.maxLen {
		return "", &codecError{kind: usageError, msg: "encoding value",
			err: &session.SizeError{Size: size, Limit: c.maxLen}}
	}
	kid, ci, err := c.keys.Primary(keyrotation.PurposeCookie)
	if err != nil {
		return "", &codecError{kind: internalError, msg: "sealing value", err: err}
	}
	t := make([]byte, 0, format.Overhead+issuedSize+len(b))
	if t, err = format.Begin(t, 0, kid, c.rand); err != nil {
		return "", &codecError{kind: internalError, msg: "reading nonce", err: err, cause: err}
	}
	t = binary.BigEndian.AppendUint64(t, uint64(c.now().Unix()))
	t = append(t, b...)
	t = format.Seal(t, 0, ci, codecAADName(name), nil)
	return format.Base64.EncodeToString(t), nil
}

// Decode opens value, sealed for the cookie name, and deserializes it into
// dst. A value that is malformed, longer than MaxLength with the name,
// tampered with, sealed for another cookie or under a key the ring lacks
// or has disabled returns an error matching session.ErrInvalid (one error,
// whichever check failed); an authentic one older than MaxAge, or sealed
// more than a minute ahead of the clock (the skew the Manager allows), returns an error
// matching session.ErrExpired. Errors implement securecookie.Error, with
// IsDecode true.
func (c *Codec) Decode(name, value string, dst any) error {
	if len(name)+len(value) > c.maxLen {
		return &codecError{kind: decodeError, err: session.ErrInvalid}
	}
	buf := make([]byte, 0, format.Base64.DecodedLen(len(value)))
	plaintext, _, err := format.OpenLimit(buf, value, c.maxLen, 0, codecAADName(name), c.keys, keyrotation.PurposeCookie, nil)
	switch {
	case errors.Is(err, keyrotation.ErrUnknownKey):
		return &codecError{kind: decodeError, err: fmt.Errorf("%w: %w", session.ErrInvalid, err)}
	case err != nil:
		return &codecError{kind: decodeError, err: session.ErrInvalid}
	}
	if len(plaintext) < issuedSize {
		// Authentic, so sealed by a broken writer; still nothing to use.
		return &codecError{kind: decodeError, err: session.ErrInvalid}
	}
	issued := int64(binary.BigEndian.Uint64(plaintext))
	// Expiry is checked only now, after authentication: a forged value
	// learns nothing from the error. A value sealed further ahead than
	// a minute came from a fast clock, and MaxAge counted from
	// its time would not bound it.
	now := c.now().Unix()
	if issued <= now-c.maxAge || issued > now+int64(payload.MaxClockSkew/time.Second) {
		return &codecError{kind: decodeError, err: session.ErrExpired}
	}
	if err := c.sz.Deserialize(plaintext[issuedSize:], dst); err != nil {
		return &codecError{kind: decodeError, msg: "deserializing value", err: err, cause: err}
	}
	return nil
}

// errorKind says which of securecookie.Error's predicates hold.
type errorKind uint8

const (
	usageError errorKind = iota
	decodeError
	internalError
)

// codecError is every error of Codec. It wraps the sentinel of package
// session that says what happened, for errors.Is, and implements
// securecookie.Error, so that code written against securecookie keeps
// telling a bad cookie (IsDecode) from a bug (IsUsage).
type codecError struct {
	kind  errorKind
	msg   string // what failed, when err alone does not say
	err   error  // what errors.Is sees
	cause error  // an error of another library, for Cause
}

var _ securecookie.Error = (*codecError)(nil)

func (e *codecError) Error() string {
	if e.msg == "" {
		return "gorillacompat: " + e.err.Error()
	}
	return "gorillacompat: " + e.msg + ": " + e.err.Error()
}

func (e *codecError) Unwrap() error    { return e.err }
func (e *codecError) IsUsage() bool    { return e.kind == usageError }
func (e *codecError) IsDecode() bool   { return e.kind == decodeError }
func (e *codecError) IsInternal() bool { return e.kind == internalError }

// Cause returns the error of another library (the serializer, the random
// source) that caused e, or nil when e is this package's own finding, as
// securecookie.Error documents.
func (e *codecError) Cause() error { return e.cause }
