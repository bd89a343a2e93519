// Package keyrotation is the key ring that seals session data: keys with
// IDs and states, one AES-256-GCM cipher per key and purpose, a file format
// and the rules for rotating keys across a fleet of servers without
// logging anyone out.
//
// Create a ring once, keep it in a file readable by the servers only, and
// load it at start-up:
//
//	keys, err := keyrotation.Generate()
//	if err != nil { ... }
//	if err := keys.WriteFile("/etc/myapp/session-keys.json"); err != nil { ... }
//
//	// On every server:
//	keys, err := keyrotation.LoadFile("/etc/myapp/session-keys.json")
//	if err != nil { ... }
//	store, err := cookiestore.New(keys, cookiestore.Options{})
//
// Stores seal with the primary key's cipher and record its ID beside the
// sealed value; they open with the cipher of the key that ID names:
//
//	id, c, err := keys.Primary(keyrotation.PurposeCookie)
//	sealed := c.Seal(dst, nonce, plaintext, aad) // stores id and nonce too
//	...
//	c, err = keys.Cipher(keyrotation.PurposeCookie, id)
//	if errors.Is(err, keyrotation.ErrUnknownKey) { ... reject ... }
//	plaintext, err := c.Open(dst, nonce, sealed, aad)
//
// # Key rotation
//
// A key is in one of three states. The primary key seals and opens; there
// is exactly one. An active key opens only: it is either a new key on its
// way to every server, or a former primary key whose values are still out
// there. A disabled key opens nothing but stays in the ring, so that
// disabling can be undone with Enable. Remove deletes a key for good.
//
// Servers that share sessions must all open what any of them seals, so a
// rotation goes in stages, writing the ring (WriteFile) and deploying it to
// every server after each one:
//
//  1. Add a key. It is active: servers can open with it, none seals.
//  2. Wait until every server has loaded the ring with the new key.
//  3. Promote the new key. Servers seal with it; the old primary key
//     becomes active, so the values it sealed still open.
//  4. Wait for the longest lifetime of a sealed value (the absolute
//     session lifetime, or the longest cookie Max-Age), counted from when
//     the last server loaded the ring of step 3. The stores of this module
//     re-seal sessions in use with the new key meanwhile.
//  5. Disable the old key. Values it sealed are now rejected. If that was
//     premature, Enable it again.
//  6. Remove the old key.
//
// The ring refuses the steps that would lose data or break the ring, with
// an error matching ErrUnsafe that says why: disabling the primary key
// (promote another first), removing a key that is not disabled (disable it
// first), and promoting a disabled key (enable it, and let it propagate,
// first). Since the primary key can be neither disabled nor removed, a ring
// never becomes empty and always has exactly one primary key. An ID that is
// not in the ring gives an error matching ErrUnknownKey.
//
// The ring cannot know when a stage has reached every server, or when the
// last value a key sealed has expired, but it guards the waits of steps 2
// and 4 with two durations recorded in the file (Waits). Promote refuses,
// with ErrUnsafe, a key added less than the propagation delay ago (default
// one hour); KeyInfo.PromotableAt says from when it accepts each key. Set
// the delay to the time a deployment takes to copy the file everywhere
// plus the watchers' polling interval (SetPropagationDelay). Disable
// refuses, with ErrUnsafe, a former primary key until the propagation
// delay and then the max lifetime (default 7 days, the default Lifetime of
// a session.Manager) have passed since it stopped being primary (its
// KeyInfo.Demoted): servers that had not loaded the promotion kept sealing
// with it for up to the delay, and what they sealed lives up to the max
// lifetime. KeyInfo.DisableableAt says from when it accepts each key. Set
// the max lifetime to at least the longest MaxLifetime (by default the
// Lifetime) of the Managers that use the ring (SetMaxLifetime). A key that was never primary sealed
// nothing, and Disable accepts it at any time. Force skips either wait.
//
// After a leak of the ring (the file, a copy of it or the variable holding
// it), every key in it is exposed, not only the primary one: EmergencyRotate
// adds a new primary key and disables every other key in one change. Doing
// it in steps leaves an exposed key active, and sessions forged under it get
// re-sealed under the new key. Promoting too early makes the other servers
// reject new sessions until they load the ring; disabling too early logs
// out the users whose sessions the key sealed.
//
// # Sources and hot reload
//
// LoadFile reads a ring file, and Parse a ring held anywhere else, such as
// in an environment variable:
//
//	keys, err := keyrotation.Parse([]byte(os.Getenv("SESSION_KEYS")))
//
// WatchFile loads a file and follows it: it polls the file and, when its
// content changes and is a valid ring, replaces the keys of the same
// *Keyring atomically, so stores built on it pick up rotations with no
// restart. A file that does not parse or validate never replaces a good
// ring; the error goes to a callback and the watcher keeps trying. Both a
// reload and a failed one also go to the session.Observer of the Manager
// whose stores use the ring.
//
// # Security model
//
// A key is a 32-byte random secret and a random 32-bit ID, never 0 and
// unique in the ring. The secret is never used directly: each purpose
// (PurposeCookie, PurposeRecord, PurposeJWT) has its own AES-256 subkey
// derived with HKDF-SHA256, with the purpose's name and the key ID in the
// HKDF info, so a value sealed for one purpose or key opens under no other.
// Subkeys and their ciphers are derived once per key and purpose, when the
// key enters the ring; sealing and opening do no key derivation.
//
// Sealed values record the ID of their key, and opening one is a single
// lookup by that ID (Keyring.Cipher): no trial decryption with every key,
// which would multiply both the cost of a forged value and its chance of
// opening. A disabled or unknown ID is ErrUnknownKey.
//
// Cipher.Seal takes a nonce from the caller, who must draw a fresh one from
// crypto/rand for every seal. With random 96-bit nonces, NIST SP 800-38D
// limits a key to 2^32 seals; beyond that a repeated nonce becomes likely
// enough to matter, and a repeated nonce under AES-GCM exposes plaintexts
// and allows forgeries. Each key counts the seals this process made with
// it (KeyInfo.Seals from Keyring.Keys). Rotating well before the bound,
// counting every server, is the operator's job; a server that seals a
// million sessions a day reaches it in more than ten years.
//
// Error messages and String never contain secrets. The key ring file does:
// WriteFile writes it with mode 0600, and a copy of it can open every value
// its keys sealed.
//
// # File format
//
// The key ring file, version 1, 2 or 3, is a JSON object:
//
//	{
//	  "version": 1,
//	  "keys": [
//	    {
//	      "id": 2847392011,
//	      "state": "primary",
//	      "created": "2026-11-25T20:00:00Z",
//	      "promoted": "2026-11-25T20:00:00Z",
//	      "secret": "<32 random bytes in standard base64, 44 characters>"
//	    }
//	  ]
//	}
//
// Its fields:
//
//   - version: the integer 1; 2 when a key has the "enabled" field, which
//     version 1 does not allow; 3 when a key has the "demoted" field or the
//     ring has "max_lifetime", which versions 1 and 2 do not allow. Each
//     version allows the fields of the earlier ones. Writers use the
//     lowest version that holds the ring, so that a ring that needs none
//     of the later fields stays readable by readers that know only the
//     earlier versions. Another version is an error: a later format needs
//     a later version of this package.
//   - propagation_delay: optional, how long after a key's creation (or
//     after it was last enabled again) Promote accepts it, as a Go
//     duration string such as "1h" or "15m"; absent means one hour.
//   - max_lifetime (version 3): optional, the longest lifetime of a value
//     sealed under a key, as a Go duration string such as "168h"; absent
//     means 168h (7 days). Disable accepts a former primary key once the
//     propagation delay plus the max lifetime have passed since it was
//     demoted.
//   - keys: an array of at least one key, exactly one of them primary.
//   - id: the key ID, an integer from 1 to 4294967295, unique in the ring.
//     Sealed values record it.
//   - state: "primary", "active" or "disabled".
//   - created: when the key was made, an RFC 3339 time.
//   - promoted: when the key last became primary, an RFC 3339 time; absent
//     if never.
//   - demoted (version 3): when a former primary key last stopped being
//     primary, an RFC 3339 time, if that was before the primary key was
//     promoted; not allowed on the primary key. A key that has "promoted"
//     and no "demoted" was demoted when the primary key was promoted,
//     which is all that a routine rotation needs, so that its file stays
//     version 1; in a file written before version 3, that time is an upper
//     bound. A key with neither was never primary and sealed nothing.
//   - enabled (version 2): when the key was last made active again after
//     being disabled, an RFC 3339 time; absent if never. It stays until
//     the key is promoted (the wait is over) or disabled again. The
//     propagation delay runs from the later of created and enabled.
//   - secret: the key's 32 secret bytes in standard base64 with padding
//     (44 characters).
//
// Enabling a key again (Keyring.Enable, sessionkeys enable) makes the file
// version 2 until that key is promoted or disabled, and a reader that knows
// only version 1 refuses it: LoadFile fails, and WatchFile keeps its old
// ring. So before an operator uses enable, every reader of the ring, every
// server and every tool that loads it, must run a version of this package
// that reads version 2. Likewise, setting the max lifetime (SetMaxLifetime,
// sessionkeys lifetime) makes the file version 3 for good, and so does a
// promotion while a key demoted by an earlier one is still active, until
// that key is removed: before either, every reader must read version 3. A routine rotation (add, promote, disable and remove of
// the old key) leaves a version 1 file at every step.
//
// Each key's subkey for a purpose is
//
//	HKDF-SHA256(secret, salt = none,
//	            info = "sessionseal/v1 " || purpose || " " || uint32 big-endian id,
//	            length = 32 bytes)
//
// where purpose is "cookie", "record" or "jwt", and the subkey is an
// AES-256-GCM key with 96-bit nonces and 128-bit tags. The derivation is
// part of the format: changing it would make every sealed value unreadable.
//
// Parse is strict: unknown and repeated fields, missing fields, values of
// the wrong type or range, a file larger than 1 MiB and data after the
// object are errors, matching ErrInvalidKeyring, whose text names the key
// (by its index in keys) and the field, and never quotes a secret. Field
// order does not matter. Times are RFC 3339 date-times, exactly: four-digit
// year, two-digit month, day, hour, minute and second, an upper-case T,
// optionally '.' and one to nine digits of fraction, then Z or a UTC offset
// +hh:mm or -hh:mm (no leap seconds). They must fall within the years 0000
// to 9999 once in UTC; they are kept, and written back, in UTC. Times this
// package creates are in whole seconds. Marshal and WriteFile write keys in
// the order of Keyring.Keys, indented by two spaces; a ring whose file would
// then be larger than 1 MiB is an error, from Parse as from WriteFile, so
// that every ring Parse accepts can be written back. WriteFile parses what
// it would write before it replaces the file, and leaves the file as it was
// when Parse would refuse it.
package keyrotation
