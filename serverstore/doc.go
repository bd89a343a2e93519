// Package serverstore is a session.Store that keeps sessions as records in a
// database; the client holds only a signed reference token. It does all a
// server store does except the database commands, which a Backend supplies:
// package mongostore (MongoDB), package memstore (process memory), and the
// modules redisstore (Redis, Redis Cluster) and pgstore (PostgreSQL) are
// backends.
//
//	b, err := mongostore.New(ctx, client.Database("app").Collection("sessions"))
//	if err != nil { ... }
//	store, err := serverstore.New(keys, b, serverstore.Options{})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := session.NewManager(store, session.Options{})
//
// Use it directly for sessions that must always be revocable, or through
// package hybrid, which keeps small sessions in the cookie and moves the
// others here by itself.
//
// # Records
//
// A record (Document) is stored under the SHA-256 of its session ID, so a
// dump of the database holds no live token. Its data is the session's
// payload, the bytes a cookie would seal, sealed with AES-256-GCM under the
// ring's record subkey; the additional data binds the record's key, so data
// moved to another record does not open. Beside it: a hash of the user ID,
// the session's idle deadline (expiry), a version, times, and the client of
// the last save for listings (Sessions).
//
// The store keeps no clock and no lifetime of its own: the Manager passes
// the time of each call, and checks the session's deadlines itself, from the
// payload. Load therefore reads a record by its key alone and returns it
// even past its expiry; the Manager refuses it. Expired records are deleted
// by the database (a TTL index) or, when it has none, by the store every
// Options.CleanupInterval.
//
// A device entry (see CookieSaved) stands for a logged-in session that
// lives in its cookie, so that Sessions lists it and RevokeHandle ends it:
// a document under the session's key with its user, client and times and
// no payload, which never opens as a session.
//
// # Round trips
//
// A request that only reads its session costs one backend call (Get); one
// that changes it costs a Get and an Update; a new session one Insert. An
// unchanged session is written at most once per session.Options.TouchInterval.
// Every call carries the request's context plus Options.Timeout.
//
// # Concurrent requests
//
// An update is conditioned on the version the request loaded. When another
// request saved first, Save re-reads the record, re-applies only the keys
// this request set or deleted (and the metadata it changed), and tries again
// with a random, growing backoff, up to Options.MaxAttempts. Requests that
// change different keys of one session therefore lose nothing; two that
// change the same key keep the last write. This needs a backend whose
// conditional writes are atomic (see Backend).
//
// A session that moves here from its cookie (see package hybrid) keeps its
// ID, so two requests that both outgrow the cookie meet at one record: the
// second merges into the first's. A record there from a move that started
// from an older cookie is left over from a response the client never kept;
// it is replaced, not merged, since the cookie has moved on.
//
// # Security model
//
// The reference token is a JWT: header kid, claims jti (the session ID), aud
// (the cookie's name: a token issued for one cookie is refused under
// another) and exp, signed HS256 with the ring's JWT subkey of that key, or
// EdDSA (Options.SigningMethod). Parsing pins the method (so "none" and key
// confusion fail), looks the key up once by kid, verifies the signature
// before any claim, and requires jti, exp and the cookie's name; the
// session ID in the record must equal jti. A record whose data was altered
// in the database fails authentication and is refused, never trusted.
// Revoking a session (Revoke, RevokeUser, RevokeHandle, Destroy) deletes its
// record: its token stops working on the next request.
//
// # Revocation stamps
//
// For package hybrid, whose cookie sessions no server can delete, the store
// also keeps one stamp per user that was revoked or ended a session: a "not
// before" time (SetNotBefore) and the handles of sessions ended one by one
// (Delete after Destroy, RevokeHandle), at most 100, each until its tokens
// would have expired. A stamp only moves forward. Stamp reads it.
//
// # Key rotation
//
// Tokens and records carry the ID of their key. A session whose token or
// record is under a key that is no longer primary is re-sealed and
// re-signed with the primary on the same response. Rewrap re-seals the
// stored records at once; the tokens clients hold are re-signed only as
// they come back, so disabling the old key still waits for the longest
// session lifetime, as for cookies.
//
// # Adding a database
//
// Implement Backend, the dozen operations the engine calls, and run
// storetest.RunBackend and storetest.Run against the real database in the
// backend's tests. Backend's documentation states the contract: point
// lookups by key, atomic conditional updates and deletes, unique inserts,
// stamps that move forward only, and session.ErrStoreUnavailable for a
// database that cannot be reached.
package serverstore
