// Command sessionkeys manages a sessionseal key ring file: the keys that
// seal session cookies and sign reference tokens, and their rotation across
// a fleet of servers without logging anyone out.
//
//	go install github.com/sessionseal/session/cmd/sessionkeys@latest
//
//	sessionkeys init /etc/myapp/session-keys.json
//	sessionkeys list /etc/myapp/session-keys.json
//
// Servers load the file with keyrotation.LoadFile, or follow it with
// keyrotation.WatchFile so that a new copy takes effect without a restart.
// Every command that changes the ring writes it atomically (a temporary file,
// then a rename) with mode 0600, keeping the file's owner, and holds a lock
// on it meanwhile (flock, on Unix other than AIX and Solaris; illumos has
// it), so that two runs changing one ring take turns; elsewhere, avoid
// concurrent runs by hand. No command prints a key's secret.
//
// Usage:
//
//	sessionkeys COMMAND [flags] ARGS...
//
// Flags come after the command name, before, between or after the other
// arguments: sessionkeys promote --force FILE ID and sessionkeys promote FILE
// ID --force are the same; -- ends the flags. A flag may be written with one
// dash or two. Every command
// takes -h or --help; sessionkeys help COMMAND prints the same, and
// sessionkeys help, or sessionkeys alone, lists the commands.
//
// Exit status: 0 on success, 1 when a command fails or refuses an unsafe
// step (the message, on standard error and prefixed "sessionkeys:", says
// why), 2 for a command line that cannot be run.
//
// # Commands
//
//	init [--force] [--propagation-delay DURATION] FILE
//
// Creates FILE holding one new primary key. It refuses an existing FILE;
// --force overwrites an existing ring, for when every key in it must go at
// once: every session sealed under it is lost. After a leak, emergency does
// the same and keeps the ring's settings and its old keys, disabled.
// --propagation-delay (default 1h, the key ring's default) is recorded in
// FILE: the time promote waits after add or enable, and disable after
// promote before it counts the max lifetime.
//
//	add FILE
//
// Adds a new key in state active (it opens, it does not seal) and prints its
// ID and the earliest time promote accepts it: its creation time plus the
// propagation delay.
//
//	promote [--force] FILE ID
//
// Makes key ID the primary key; the previous primary key becomes active, and
// promote prints from when disable accepts it. It refuses a disabled key, and
// a key added less than the propagation delay ago, with the reason. --force
// skips the delay, and nothing else: it means accepting that servers without
// the new key reject the sessions sealed under it until they load the ring.
// It is not the answer to a leak, since the previous primary key stays
// active: use emergency.
//
//	disable [--force] FILE ID
//
// Disables key ID: it stays in the ring, opens nothing, and can be enabled
// again. It refuses the primary key, and a previous primary key until the
// propagation delay plus the max lifetime have passed since it stopped being
// primary, saying from when it accepts it: before then, sessions it sealed
// may still be in use, and their users would be logged out. A key that was
// never primary sealed nothing and is disabled at once. --force skips the
// wait, and nothing else, and prints when it would have ended.
//
//	enable FILE ID
//
// Makes the disabled key ID active again. Promote then waits the
// propagation delay again, counted from enable; enable prints until when, as
// add does. FILE is then a version 2 ring file (or 3) until the key is
// promoted or disabled: every server that loads it must read version 2 (see
// "File format" in package keyrotation).
//
//	remove FILE ID
//
// Deletes key ID and its secret for good. It refuses a key that is not
// disabled.
//
//	emergency FILE
//
// For a leak of the ring: adds a new key, makes it primary without the
// propagation delay, and disables every other key, in one change, and prints
// the keys it disabled. See "Emergency rotation after a leak" below.
//
//	delay FILE DURATION
//
// Sets the propagation delay recorded in FILE, such as 15m or 2h; 0 turns
// the check off.
//
//	lifetime FILE DURATION
//
// Sets the max lifetime recorded in FILE, the longest a session sealed under
// a key lives, such as 168h (the default: 7 days, the session Manager's
// default Lifetime) or 720h; disable waits the propagation delay plus the
// max lifetime after a key stopped being primary. Set it to at least the
// longest MaxLifetime of the Managers that use the ring. Recording it makes
// FILE a version 3 ring file: every server that loads it must read version 3.
//
//	list [--json] FILE
//
// Prints the ring's propagation delay and max lifetime, then the keys,
// primary first, as a table (ID, STATE, CREATED, PROMOTED, NEXT) whose NEXT
// column is the next safe step of a rotation for the key and from when the
// ring accepts it: "promote from TIME" for a key never primary, "disable
// from TIME" for a previous primary key, "remove" for a disabled key, "-"
// for the primary key. With --json it prints the keys as an array of
// objects:
//
//	[{"id": 2847392011, "state": "primary", "created": "2026-11-25T20:00:00Z", "promoted": "2026-11-25T20:00:00Z",
//	  "demoted": null, "next": null, "next_from": null}]
//
// where state is "primary", "active" or "disabled", times are RFC 3339 in
// UTC, promoted is null for a key never promoted, demoted is when a key last
// stopped being primary (null if never, or for the primary key), next is
// "promote", "disable", "remove" or null, and next_from is when the ring
// accepts that step (null for remove and the primary key).
//
//	inspect [--cookie-name NAME] FILE TOKEN
//
// Opens a session token with the ring and prints what it holds. For a sealed
// cookie token (cookie mode): format version, kid and its state, mode, cookie
// name, session ID, user, flags, created, issued, expiry, the absolute
// deadline, and every value with its JSON encoding. For a reference token (a
// JWT, for sessions kept in MongoDB): kid, mode "server reference", session
// ID, issued, expires, and whether the signature is valid; the values live in
// MongoDB and are not shown. Expired tokens are shown too, marked expired. A
// token that does not open is reported with the reason (invalid, or sealed
// under a key the ring lacks or has disabled) and exits 1. NAME defaults to
// "__Host-session", the Manager's default; sealed tokens are bound to
// it. TOKEN - reads the token from standard input, keeping it out of the
// process list.
//
//	rewrap [--mongodb-uri URI] --db DB --collection COLL FILE
//
// Re-seals under the primary key every live session record in the MongoDB
// collection that another key sealed, with a progress bar on standard error
// (when it is a terminal), then prints "rewrapped N session records". It is
// resumable: an interrupted run, run again, does what is left, and a run
// with nothing left reports 0. URI defaults to $MONGODB_URI, which keeps a
// password out of the process list. A collection that does not exist is an
// error, not an empty run.
//
// # Rotating keys
//
// Servers that share sessions must all open what any of them seals, so a
// routine rotation goes in stages, copying FILE to every server after each
// change:
//
//	sessionkeys add FILE                  # prints the new key's ID, NEW
//	# copy FILE to every server; wait the propagation delay (add says until when)
//	sessionkeys promote FILE NEW          # NEW seals; the old key OLD still opens
//	# copy FILE to every server
//	sessionkeys rewrap --db D --collection C FILE   # MongoDB sessions only, optional
//	# wait the longest session lifetime, so that cookies sealed under OLD are gone or re-sealed
//	sessionkeys disable FILE OLD          # refused until then (promote and list say until when)
//	# copy FILE to every server; OLD opens nothing; enable undoes it
//	sessionkeys remove FILE OLD           # for good
//	# copy FILE to every server
//
// No user is logged out: sessions in use are re-sealed under the new key as
// servers serve them, and the old key opens the others until it is disabled.
//
// # Emergency rotation after a leak
//
// A leaked ring file, or a copy, backup or environment variable holding the
// ring, exposes every key in it, not only the primary one. In the middle of a
// routine rotation that includes the previous primary key, still active, and
// a new key being propagated: whoever holds the file can forge sessions under
// any of them. Disabling one key is not enough: a key left active opens forged
// sessions, and servers re-seal them under the new primary key, out of reach
// of a later disable. Rotate every key at once, in one step:
//
//	sessionkeys emergency FILE            # new primary key; every other key disabled
//	# copy FILE to every server, at once
//
// From the moment a server loads the ring, every session sealed or signed
// under the exposed keys is refused there, forged or genuine: every user gets
// a fresh session, once, which is the point. Until a server loads the new ring
// it still accepts the exposed keys, and rejects the sessions other servers
// sealed under the new key, so copy the file everywhere as fast as you can.
// Never enable the exposed keys again; remove them once the incident is over.
package main
