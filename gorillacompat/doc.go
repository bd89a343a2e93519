// Package gorillacompat brings applications written for gorilla/sessions to
// this module's key ring, in one of two ways.
//
// Keep gorilla/sessions and its handlers, and switch the codec of its
// CookieStore in one line:
//
//	codec, err := gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{})
//	if err != nil { ... }
//	store := &sessions.CookieStore{
//		Codecs:  []securecookie.Codec{codec},
//		Options: &sessions.Options{Path: "/", MaxAge: 86400 * 30, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
//	}
//
// Cookies then are sealed with AES-256-GCM under the ring's primary key, and
// rotate with it (see package keyrotation). To keep the cookies already
// issued readable while they last, list the old codec after the new one:
// gorilla seals with the first codec and opens with the first that accepts.
//
//	Codecs: []securecookie.Codec{codec, securecookie.New(hashKey, blockKey)},
//
// Or move to session.Manager without logging anyone out: Migrate wraps the
// new store so that it also reads the cookies of the old CookieStore, given
// the old codecs, and converts each into a session that the Manager re-issues
// in the new format on that response:
//
//	store, err := cookiestore.New(keys, cookiestore.Options{CookieName: "session-name"}) // gorilla's name
//	if err != nil { ... }
//	legacy := securecookie.New(hashKey, blockKey) // as sessions.NewCookieStore(hashKey, blockKey) made it
//	m, err := session.NewManager(gorillacompat.Migrate(store, gorillacompat.MigrateOptions{}, legacy), session.Options{})
//
// The new cookie replaces the old one only if it has the same name, Path and
// Domain: give session.CookieOptions the Path and Domain of the old
// sessions.Options (by default "/" and none, as here). The values of a
// legacy session are converted key by key: string keys keep their values,
// re-encoded as JSON (Session.Set), and string flashes stay flashes. What
// cannot be converted, such as a non-string key, is left out and reported
// to MigrateOptions.OnConversionError, or logged, never dropped without a
// word; see Migrate. gob, the default serializer of gorilla, still needs
// the concrete types of the values registered with gob.Register to read
// them, as it did in gorilla; handlers then read them back with Session.Get
// into the same types, through their JSON encoding.
//
// Once the longest MaxAge of the old cookies has passed since the switch,
// no legacy cookie is left that the codecs would accept: remove them and the
// Migrate call, and forget the old keys.
//
// # Security model
//
// A Codec differs from securecookie's in what a cookie proves and costs:
//
//   - One AEAD, AES-256-GCM, for every value, in place of an HMAC-SHA256 and
//     an optional AES-CTR encryption: values are always encrypted.
//   - The key is looked up by the ID in the token's header: one key is tried,
//     never every key in turn, as securecookie.DecodeMulti tries every codec.
//     Rotation is the ring's (add, promote, disable), not a list of codecs.
//   - The cookie's name is bound into the additional data, as securecookie
//     binds it into its MAC, so a value cannot move to another cookie. It is
//     bound behind a prefix that no cookie name contains, so that a Codec
//     token and a cookiestore token for the same cookie, both sealed with the
//     ring's cookie subkey, never open as each other.
//   - The time of sealing is inside the encryption and MaxAge is checked only
//     after authentication: every failure before is one opaque error,
//     session.ErrInvalid, and expiry, session.ErrExpired, says nothing to a
//     forger. A value sealed more than a minute ahead of the
//     decoding clock is expired too: MaxAge counted from a time in the
//     future would not bound it.
//   - The cookie's name and value together must fit in session.MaxCookieSize
//     (4096 bytes), beyond which browsers drop a cookie silently; a larger
//     value is an error at Encode, matching session.ErrTooLarge, and a
//     longer one is refused by Decode before it decodes anything. A
//     FilesystemStore, which keeps values in files, can raise the limit
//     with CodecOptions.MaxLength, always to a finite size.
//
// A Codec token has the version-1 layout of the module's sealed tokens
// (version, flags 0, key ID, nonce, ciphertext, tag; see package
// cookiestore), with plaintext
//
//	uint64 big-endian  issued-at, Unix seconds
//	bytes              the value, as the Serializer wrote it
//
// and additional data binding "securecookie", a NUL byte and the cookie's
// name in place of the name alone.
//
// Migration keeps the old cookies exactly as strong as they were, for as
// long as the legacy codecs are listed: whoever holds the old hash key can
// still forge a legacy cookie, so remove the codecs as soon as their cookies
// have expired. Legacy codecs are only used to read, never to write: every
// session is saved by the wrapped store, in its format, under the ring. A
// legacy cookie is deserialized only after its codec has authenticated it,
// and it becomes a new session with a new random ID and a new lifetime under
// the Manager's options. Migrate tries the legacy codecs only when the store
// rejects a token as invalid; a token the store finds expired, or a store
// that cannot answer, never reaches them.
package gorillacompat
