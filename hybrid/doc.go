// Package hybrid is a session.Store that decides per session where it
// lives: in the sealed cookie when it fits and need not be revocable, in a
// server store (MongoDB) otherwise, moving it in either direction as it
// changes.
//
//	server, err := mongostore.New(ctx, coll, keys, mongostore.Options{})
//	if err != nil { ... }
//	store, err := hybrid.New(keys, server, hybrid.Options{})
//	if err != nil { ... }
//	m, err := session.NewManager(store, session.Options{})
//
// # Cookie size and the MongoDB fallback
//
// Save seals the session into a cookie first. If the session is not
// revocable and the cookie's name and value fit in 4096 bytes
// (session.MaxCookieSize), that is the token, and any server record the
// session had is deleted. Otherwise the session is saved in the server store
// and the cookie holds a reference of under 200 bytes. Session.Mode reports
// where a session lives. A cart that grows past the limit moves to MongoDB
// and comes back when it shrinks, with nothing lost.
//
// # Security model
//
// Call Session.SetRevocable(true) for sessions that must be revocable one by
// one: they always live on the server. RevokeUser logs a user out everywhere:
// it deletes the user's server sessions and records a per-user "not before"
// stamp in MongoDB, so that sessions of the user created or logged in before it
// are refused, in either mode. The stamp is compared with the session's
// creation time, which a save never moves, not with the time it was last
// issued: a request in flight during the revocation, or a server that had not
// seen the stamp yet, may re-issue a revoked session's cookie, and that cookie
// is refused all the same. A login (a change of the session's user) restarts
// the creation time. This departs from the design, which compared the stamp
// with the time a cookie was issued: that time moves on every save, so one late
// save undid the revocation for good. Each server caches a user's stamp for
// Options.RevocationCacheTTL (default one minute): a revocation made elsewhere
// reaches sessions here within that time.
//
// # MongoDB unavailable
//
// Cookie sessions without a user never touch MongoDB and keep working.
// A logged-in cookie session needs its user's stamp: while it is cached it
// keeps working; past that the request fails with
// session.ErrStoreUnavailable (fail closed, the default) or goes on
// unchecked with Options.FailOpen. A request whose session lives in MongoDB,
// or that must move there, gets 503 through the Manager's error handler and
// keeps its old cookie, never an empty session that would overwrite the
// user's data. The same process recovers when MongoDB returns.
package hybrid
