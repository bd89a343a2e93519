// Package mongostore is a session.Store that keeps sessions as documents
// in MongoDB; the client holds only a signed reference token.
//
//	client, err := mongo.Connect(options.Client().ApplyURI(uri))
//	if err != nil { ... }
//	store, err := mongostore.New(ctx, client.Database("app").Collection("sessions"), keys, mongostore.Options{})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := session.NewManager(store, session.Options{})
//
// Use it directly for sessions that must always be revocable, or through
// package hybrid, which keeps small sessions in the cookie and moves the
// others here by itself.
//
// # Documents
//
// One document per session:
//
//	_id        SHA-256 of the session ID (a dump of the collection holds no live tokens)
//	data       the session's payload, sealed with AES-256-GCM under the ring's record
//	           subkey, in the version-1 token layout; the AAD binds _id, so data moved
//	           to another document does not open
//	user       SHA-256 of the user ID, when the session has one
//	expiresAt  when the session expires (Date)
//	version    incremented by every write (int64)
//	created, updated, device (user agent and IP of the last save)
//	from       for a session that moved here from its cookie, when that cookie
//	           was issued
//
// New creates an index on user and a TTL index on expiresAt. A server that
// refuses TTL indexes (FerretDB) gets a cleanup loop instead, stopped by
// Close. Reads filter on expiresAt whatever deletes expired documents, since
// TTL deletion lags.
//
// # Round trips
//
// A request that only reads its session costs one command (find); one that
// changes it costs a find and an update; an unchanged session is written at
// most once per session.Options.TouchInterval. Every call carries the
// request's context plus Options.Timeout.
//
// # Concurrent requests
//
// An update is conditioned on the version the request loaded. When another
// request saved first, Save re-reads the document, re-applies only the keys
// this request set or deleted (and the metadata it changed), and tries
// again with a random, growing backoff, up to Options.MaxAttempts. Requests
// that change different keys of one session therefore lose nothing; two that
// change the same key keep the last write. Within one process, saves of the
// same session also take turns, so they never race each other.
//
// A session that moves here from its cookie (see package hybrid) keeps its
// ID, so two requests that both outgrow the cookie meet at one document:
// the second merges into the first's. A document there from a move that
// started from an older cookie is left over from a response the client
// never kept; it is replaced, not merged, since the cookie has moved on.
//
// Across processes the conditional update alone decides, which needs a
// server that applies it atomically, as MongoDB does. FerretDB 1.24 with
// SQLite (devmongo) does not: it reads, then writes (FerretDB issue 3040),
// and two processes saving one session at the same moment can both
// succeed, the later overwriting the earlier. Use devmongo for development
// and tests, one process at a time, and MongoDB in production.
//
// # Security model
//
// The reference token is a JWT: header kid, claims jti (the session ID),
// aud (the cookie's name, from the Manager through Store.Configure: a token
// issued for one cookie is refused under another) and exp, signed HS256
// with the ring's JWT subkey of that key. It has no iat: the record holds
// the session's times, and the Manager checks them.
// Parsing pins HS256 (so "none" and key confusion fail), requires exp,
// allows Options.Leeway of clock skew, looks the key up once by kid, and
// verifies the signature before any claim. A document whose data was
// altered in the database fails authentication and is refused, never
// trusted. Revoking a session (Revoke, RevokeUser, RevokeHandle, Destroy)
// deletes its document: its token stops working on the next request.
//
// # Revocation stamps
//
// For package hybrid, whose cookie sessions no server can delete, the store
// also keeps one stamp document per user that was revoked or ended a
// session, under an _id of its own (a hash of the user ID with another
// label): notBefore (Date; sessions created or logged in before it are
// refused), ended (a sub-document from session handle to the Date until
// which that ended session's tokens could be live; at most 100 entries) and
// expiresAt. Every write uses $max, so a stamp never moves back. Stamps are
// read by _id alone.
//
// # Key rotation
//
// Tokens and records carry the ID of their key. A session whose token or
// record is under a key that is no longer primary is re-sealed and
// re-signed with the primary on the same response. Store.Rewrap re-seals
// the stored records at once; the tokens clients hold are re-signed only as
// they come back, so disabling the old key still waits for the longest
// session lifetime, as for cookies.
//
// # Availability
//
// Errors that mean the server could not be reached (network errors,
// timeouts, server selection) match session.ErrStoreUnavailable: the
// Manager answers 503 and the client keeps its cookie. The same Store
// recovers by itself when the server returns.
package mongostore
