// Command shop is the shopping cart of a classic session tutorial, on
// sessionseal's hybrid store: a small cart lives entirely in a sealed cookie,
// a large one in MongoDB, and every page shows which, so that you can watch a
// cart spill to MongoDB and come back.
//
// It needs no setup. From the examples directory:
//
//	go run ./shop
//
// and open http://127.0.0.1:8080/. Flags:
//
//	-addr 127.0.0.1:8080   where to listen (plain HTTP: keep it on loopback)
//	-keys FILE             the key ring file; created with one new key when
//	                       missing (default: os.UserCacheDir()/sessionseal-shop/keys.json)
//	-store mongo           the server half of the hybrid store: mongo, redis,
//	                       postgres or memory
//	-redis-url URL         the Redis server for -store redis (default $REDIS_URL)
//	-postgres-url URL      the PostgreSQL server for -store postgres (default $DATABASE_URL)
//
// With -store mongo, the default, large sessions go to the MongoDB server
// that MONGODB_URI names, or, without it, to devmongo (FerretDB with SQLite)
// started inside the process and stopped with it; the first build of
// devmongo takes about a minute. -store memory keeps them in the process,
// needs no setup either, and forgets them when the shop stops. What
// follows says MongoDB; with another store, read that store instead: the
// status bar and the pages name the one in use. Ctrl-C shuts the shop down
// cleanly.
//
// # What it shows
//
//   - The status bar of every page: where the session lives ("cookie" or
//     "MongoDB", from Session.Mode), the size of the session cookie against
//     the 4096-byte limit, and the ID of the key that sealed it (read from
//     the sealed cookie's header, or from the kid of the reference JWT). It
//     describes the session as the browser holds it after the page: pages
//     write their header before their body so that the Manager saves the
//     session first, and every change is a POST that redirects to a page
//     (POST-redirect-GET).
//   - The cart. Each "Add" makes a cart line with the SKU, the name, the
//     quantity and a note, the item's description unless you type one;
//     about thirty lines no longer fit in the cookie, and the session moves
//     to MongoDB while the cookie shrinks to a reference of under 200 bytes.
//     Removing lines brings it back, and its MongoDB record is deleted.
//   - Log in (any name, no password: it is a demo). Login calls
//     Session.SetUser, which gives the session a new ID (against session
//     fixation) and keeps its values. "Remember me" calls
//     Session.SetLifetime: the session gets a persistent cookie and lives
//     for 30 days of use (the Manager's MaxLifetime), where a plain login
//     has a browser-session cookie and the defaults (24 hours idle, 7 days).
//   - Log out (Session.Destroy) and log out everywhere (session.Manager.RevokeUser):
//     the user's sessions in MongoDB are deleted, and the user's cookie
//     sessions made before that moment are refused.
//   - Your active sessions: the user's sessions in either mode
//     (serverstore.Store.Sessions), with where each lives, the current one
//     marked and a button to revoke each (hybrid.Store.RevokeHandle, which
//     also refuses its cookie tokens on every server). A session that lives
//     in its cookie is listed from the device entry its login left in the
//     database.
//   - CSRF protection: http.CrossOriginProtection in front of the Manager
//     refuses (403) a POST that a browser sends from another origin, and
//     the session cookie is SameSite=Lax; the forms carry no token (see
//     "CSRF" in the README). A page view starts no session.
//
// # Key rotation
//
// The shop watches its key ring file (keyrotation.WatchFile), so a rotation
// applies without a restart. The ring it generates has no propagation delay,
// which only a single server can afford, so a new key can be promoted at once:
//
//	go run github.com/sessionseal/session/cmd/sessionkeys add FILE
//	go run github.com/sessionseal/session/cmd/sessionkeys promote FILE ID
//
// Within two seconds the next page seals the session with the new key, and the
// status bar shows its ID. Sessions sealed with the old key still open: it
// stays in the ring as an active key.
//
// The shop serves plain HTTP on loopback, so it sets
// CookieOptions.AllowInsecureHTTP and names its cookie "shop"; a production
// server keeps the secure defaults (a Secure cookie named __Host-session).
package main
