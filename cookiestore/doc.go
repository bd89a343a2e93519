// Package cookiestore is a stateless session.Store: the whole session is
// sealed with AES-256-GCM into the cookie, and the server keeps nothing.
//
//	keys, err := keyrotation.LoadFile("session-keys.json")
//	if err != nil { ... }
//	store, err := cookiestore.New(keys)
//	if err != nil { ... }
//	m, err := session.NewManager(store, session.Options{})
//
// # Security model
//
// A token is the base64url encoding of a version byte, flags, the sealing
// key's ID, a 96-bit random nonce, the ciphertext and the 128-bit GCM tag.
// The additional data binds a fixed label, the header and the cookie name.
// The subkey comes from the ring by HKDF for the cookie purpose, so it is
// never the key used for server records or signatures. Load checks the
// length before decoding, decodes strict base64, checks version and flags,
// looks the key up once by ID and opens. Every failure is
// session.ErrInvalid. The store checks no deadline: the Manager, which owns
// the clock and the options, checks the deadlines inside the plaintext,
// bounds them by its current timeouts and refuses a token dated more than
// a minute ahead of its clock.
//
// A stolen cookie can be replayed until its deadlines pass; a cookie store
// cannot revoke a single session. Use a server store for sessions that must
// be revocable.
//
// # Key rotation
//
// Tokens are sealed with the ring's primary key and opened with whichever
// primary or active key their header names. A session opened with a key that
// is not the primary comes back with Record.Reseal set, so the Manager
// re-seals it with the primary on the same response.
//
// # Cookie size and the MongoDB fallback
//
// Save returns a *session.SizeError (matching session.ErrTooLarge) when the
// cookie's name and token would exceed session.MaxCookieSize, 4096 bytes,
// measured exactly on the final encoding with the session's times at their
// largest: they are offsets that take a few more bytes as the session
// ages, and a session saved once always fits again when the Manager
// refreshes it unchanged. Sealing adds 34 bytes to the
// session's encoding and base64 a third of the total, so about 3 KB of
// encoded values fit. The hybrid store moves larger sessions to MongoDB by
// itself.
package cookiestore
