// Package hybrid is a session.Store that decides per session where it
// lives: in the sealed cookie when it fits and need not be revocable, in a
// server store (MongoDB) otherwise, moving it in either direction as it
// changes.
//
//	b, err := mongostore.New(ctx, coll)
//	if err != nil { ... }
//	server, err := serverstore.New(keys, b, serverstore.Options{})
//	if err != nil { ... }
//	defer server.Close()
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
// one: they always live on the server. session.Manager.RevokeUser logs a user
// out everywhere: the store deletes the user's server sessions and records a
// per-user "not before" stamp in the server store, so that sessions of the
// user created or logged in before it are refused, in either mode. The stamp is compared with the session's
// creation time, which a save never moves, not with the time it was last
// issued: a request in flight during the revocation, or a server that had not
// seen the stamp yet, may re-issue a revoked session's cookie, and that cookie
// is refused all the same. A login (a change of the session's user) restarts
// the creation time. This departs from the design, which compared the stamp
// with the time a cookie was issued: that time moves on every save, so one late
// save undid the revocation for good. Each server caches a user's stamp for
// Options.RevocationCacheTTL (default one minute): a revocation made elsewhere
// reaches sessions here within that time, or at once when the server store's
// backend pushes stamp changes (redisstore does; see serverstore.Backend).
// The cache holds up to 100,000 users and evicts those used longest ago.
//
// A stamp only moves forward: a second RevokeUser from a server whose clock
// is behind, or one that loses a race, never moves it back. It is kept for
// what the Manager asks, its session.Options.MaxLifetime and
// the one minute of clock skew the Manager allows, so it outlives every session it revokes. The cache's
// freshness is measured on the Manager's clock, as every time the store
// sees.
//
// # Ending one session
//
// Ending a logged-in session, by Session.Destroy or from a listing of the
// user's sessions (Store.RevokeHandle), records its handle in the user's
// stamp until its tokens expire, at the cost of one database write. Every
// token of that session ID the server could know of is then refused, on
// every server within the cache TTL: the reference token, the cookie tokens
// it had before it moved to the server, and copies of its cookie taken while
// it lived there. The stamp is read with the user's "not before" time, so
// the check costs no extra database command per request. A user who ends
// more than 100 sessions within their lifetimes is logged out everywhere
// instead, so that the stamp stays small. A session without a user cannot be
// ended this way: no stamp covers it, and copies of its cookie keep working
// until it expires (Destroy still deletes its server record).
//
// # Every device, in both modes
//
// serverstore.Store.Sessions lists a user's sessions in both modes, for
// "your active sessions" pages: a logged-in session in its cookie keeps a
// small device entry in the server store, under the key its record would
// have, with its user, its client and its times (Info.Mode is
// session.ModeCookie). The entry is written when the session's user, ID
// or deadline changes (a login, Renew, Session.SetLifetime) or it moves to
// its cookie, deleted at a logout, Destroy, RevokeHandle or RevokeUser, and
// expires with the session's absolute deadline, which only those move, so
// that RevokeHandle ends the session until then; an ordinary request never
// writes it, so a cookie session costs no database command beyond its
// user's cached stamp. Its LastSeen is therefore the login or renewal,
// and a session whose cookie expired idle or was thrown away by the browser
// stays listed until its deadline. The entry holds no payload: it never
// opens as a session, and a reference token left from the time the
// session lived on the server is refused. Store.RevokeHandle ends a listed
// session in either mode through the user's stamp, as Destroy does. A
// server whose cached stamp predates the end still accepts the cookie
// until its cache expires, but cannot Renew it nor give it a new lifetime:
// the missing entry sends the save to the stamp, and it fails with
// session.ErrConflict, as the renewal of an ended server session does,
// rather than give the session an ID that no stamp names, or a deadline
// past the one the stamp names it until.
//
// # Cookie names
//
// The cookie's name, which the Manager passes with every call, is bound into
// every token: cookie tokens through their additional data, reference tokens
// (and bearer tokens, which are the same) as their audience. A token issued
// for one cookie is refused under another, so Managers of several cookie
// names can share one store.
//
// # MongoDB unavailable
//
// Cookie sessions without a user never touch MongoDB and keep working.
// A login, a renewal, a new lifetime or a logout of a cookie session
// writes its device entry, and fails with session.ErrStoreUnavailable like
// a server save.
// A logged-in cookie session needs its user's stamp: while it is cached it
// keeps working; past that the request fails with
// session.ErrStoreUnavailable (fail closed, the default) or goes on
// unchecked with Options.FailOpen. A request whose session lives in MongoDB,
// or that must move there, gets 503 through the Manager's error handler and
// keeps its old cookie, never an empty session that would overwrite the
// user's data. The same process recovers when MongoDB returns. Each check,
// from the cache or the store, and its outcome (valid, revoked, failed
// open or failed closed) goes to the Manager's session.Observer.
package hybrid
