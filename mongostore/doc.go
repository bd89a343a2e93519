// Package mongostore is a serverstore.Backend on a MongoDB collection: the
// engine in package serverstore does everything else (sealing, reference
// tokens, merges, stamps).
//
//	client, err := mongo.Connect(options.Client().ApplyURI(uri))
//	if err != nil { ... }
//	b, err := mongostore.New(ctx, client.Database("app").Collection("sessions"))
//	if err != nil { ... }
//	store, err := serverstore.New(keys, b, serverstore.Options{})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := session.NewManager(store, session.Options{})
//
// # Documents
//
// One document per session:
//
//	_id        SHA-256 of the session ID, in hex (a dump of the collection holds no
//	           live tokens)
//	data       the session's payload, sealed with AES-256-GCM under the ring's record
//	           subkey, in the version-1 token layout; the additional data binds _id,
//	           so data moved to another document does not open
//	user       SHA-256 of the user ID, in hex, when the session has one
//	expiresAt  when the document may go (Date): the session's idle deadline
//	           rounded up to a tenth of the idle timeout, so that it moves once
//	           in that time, not on every save; data holds the exact deadlines
//	version    changed by every write (int64); random for a new document
//	created    when the session started: its creation, or its login
//	updated    its last save, to the same step as expiresAt
//	device     userAgent and ip of the client that logged the session in (or
//	           first saved it here), when known
//	from       for a session that moved here from its cookie, when that cookie
//	           was issued
//
// and one per user whose sessions were revoked or ended one by one (package
// hybrid's revocation stamps), under an _id of its own (a hash of the user
// ID with another label), without data or user:
//
//	notBefore  sessions of the user started before it are refused (Date)
//	ended      from session handle to the Date until which that ended session's
//	           tokens could be live; at most 100 entries
//	expiresAt  when the stamp refuses nothing any more
//
// Every write of a stamp uses $max, so it never moves back.
//
// Keys are hex strings because FerretDB hands a string _id to its database
// as a filter and never a binary one: with binary keys every lookup read
// the whole collection. Releases before this one wrote the same fields
// with binary _id and user. New looks for one such document; when there is
// one, a lookup that misses in hex tries the binary key too, listing and
// revoking a user's sessions match both forms, and a stamp read merges the
// stamp under each, so that a revocation an earlier release recorded still
// counts. Rewrap skips documents with binary keys; they expire within a
// session lifetime of the upgrade, and the next start of the store after
// that looks up hex keys alone. A server of the earlier release, during a
// rolling upgrade, keeps writing binary keys: finish the upgrade before
// that lifetime ends.
//
// New creates an index on user and a TTL index on expiresAt. A server that
// refuses TTL indexes (FerretDB) leaves expiry to the store's cleanup loop.
//
// # Commands
//
// Reads are find by _id alone, and the engine checks the deadlines after
// decoding: a read is a point lookup on every server. A conditional write
// is an updateOne or deleteOne filtered by _id and version. An update sets
// data and version, raises expiresAt and updated with $max (which leaves
// them and the expiresAt index untouched when they do not move), and
// writes user and device only when the session's user changed. A request
// that only reads its session costs one command (find), one that changes
// it two (find, update; on FerretDB two more for a claim, see below), a
// new session one (insert). Listing and revoking
// a user's sessions use the user index, the cleanup the expiresAt index.
//
// On FerretDB 1.24 with SQLite (devmongo) the version filter costs a scan:
// FerretDB hands SQLite a filter only when it is _id alone and checks any
// other condition on every document it reads, and it has no update that
// checks a field inside the command (no pipeline updates, no $cond), so
// no single command both finds the document by _id alone and checks its
// version. Its conditional writes therefore grow with the number of
// sessions. FerretDB 1.24 over PostgreSQL tests _id by containment in the
// whole document, which its _id index cannot answer, so PostgreSQL reads
// every row for it, quickly; MongoDB answers every command here from an
// index.
//
// # Concurrent requests
//
// The store's merges need conditional writes that the server applies
// atomically, as MongoDB does. FerretDB 1.24 does not, over SQLite or
// PostgreSQL: it reads, then writes (FerretDB issue 3040). New asks the
// server (buildInfo) and, on FerretDB, brackets each conditional write
// with a claim document whose _id names the record and the version the
// write starts from; inserts of one _id are atomic there, so of the
// servers that loaded a version, one writes and the others re-read, and
// no acknowledged change is lost (storetest.RunShared). A write then costs
// three commands (insert the claim, update, delete the claim) instead of
// one; a claim left by a process that died is taken over after 30
// seconds. Within one process the writes of one _id also take turns.
// Claims live in a database of their own, the records' database name with
// "_claims" appended (the collection of the same name there), so that on
// FerretDB over SQLite, which keeps a database per file, they do not wait
// for the records' writer: the credentials need write access to it too.
//
// # Revocation reach
//
// The backend does not push stamp changes: MongoDB's change streams need a
// replica set, which FerretDB does not have, so it could not be tested
// here. Package hybrid's caches keep a stamp for their TTL
// (hybrid.Options.RevocationCacheTTL, one minute), which bounds how long a
// "log out everywhere" takes to reach other servers.
//
// # Availability
//
// Errors that mean the server could not be reached (network errors,
// timeouts, server selection) match session.ErrStoreUnavailable: the
// Manager answers 503 and the client keeps its cookie. The same backend
// recovers by itself when the server returns.
package mongostore
