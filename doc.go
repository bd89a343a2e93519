// Package session provides HTTP sessions for Go servers. Small sessions live
// entirely in a cookie sealed with AES-256-GCM under a rotated key ring, so
// the server keeps no state; sessions too large for a cookie, or that must
// be revocable, can live in a server store by ID. Handlers see one Session
// type whichever store holds it.
//
// Wrap a mux with a Manager's Middleware and read the session in handlers:
//
//	keys, err := keyrotation.LoadFile("/etc/myapp/session-keys.json")
//	if err != nil { ... }
//	store, err := cookiestore.New(keys)
//	if err != nil { ... }
//	m, err := session.NewManager(store, session.Options{})
//	if err != nil { ... }
//	mux.HandleFunc("POST /cart", func(w http.ResponseWriter, r *http.Request) {
//		s := session.From(r.Context())
//		cart, _, err := session.Value[[]Item](s, "cart")
//		if err != nil { ... }
//		if err := s.Set("cart", append(cart, item)); err != nil { ... }
//	})
//	http.ListenAndServeTLS(addr, cert, key, m.Middleware(mux))
//
// Values are stored as their JSON encoding: Set encodes at once, so a value
// that cannot be encoded fails at the call, and Get or Value decode only the
// values a handler reads. They decode as json.Unmarshal does, with its
// errors, through the json/v2 engine that Go's next encoding/json runs on
// (github.com/go-json-experiment/json/v1, twice as fast as encoding/json in
// Go 1.26, and an alias of encoding/json from Go 1.27 with
// GOEXPERIMENT=jsonv2). The Manager saves the session before the first
// byte of the response, and only when it changed or its idle deadline is
// due a refresh.
//
// # Security model
//
// A cookie token is sealed with AES-256-GCM under the primary key of a
// keyrotation.Keyring. The additional data binds a fixed label, the token's
// version, flags and key ID, and the cookie's name, so a token cannot be
// moved to another cookie, format or key. Opening a token looks up its key
// by the ID in its header, once; there is no trial decryption. Every failure
// before authentication is the one opaque error ErrInvalid; ErrExpired is
// reported only for authentic tokens.
//
// The session's ID, creation time, last save and both deadlines are inside
// the encryption: the server enforces the idle timeout and the absolute
// lifetime whatever the browser does with the cookie's Max-Age, and checks
// them against the current Options as well, so shortening a timeout also
// shortens sessions already issued. The absolute lifetime counts from the
// session's creation or from the last change of its user, whichever is
// later: a login starts it again, which also lets a "log out everywhere"
// stamp be compared with a time that no later save can move.
//
// One session can have timeouts of its own, for "remember me":
// Session.SetLifetime seals them with the session (payload version 2), and
// the Manager enforces them as it enforces its own, in every store and for
// bearer tokens, bounded by Options.MaxLifetime at every save and load.
// Sessions sealed before, or without them, follow the Manager's options.
//
// Those times come from the clock of the server that sealed the token. The
// Manager refuses, as ErrExpired, a token whose creation or issue time lies
// more than one minute ahead of its own clock, and counts the
// idle timeout and the lifetime from those times as well as reading the
// sealed deadlines: no session outlives now + one minute + MaxLifetime, whatever
// clock sealed it. Keep the servers that share sessions within
// a minute of each other (NTP). A server that runs further ahead issues
// sessions that the others refuse, and that become valid when their clocks
// reach the sealed times; a "log out everywhere" stamp made on a correct
// clock in between does not reach them.
//
// A sealed cookie is a bearer credential until its deadline: whoever steals
// it can replay it, and the server, keeping no state, cannot revoke one
// cookie. Keep timeouts short, serve over HTTPS (the default cookie is
// Secure, HttpOnly, SameSite=Lax and named with the __Host- prefix), call
// Session.Renew on every change of privilege, and put sessions that must be
// revocable in a server store. A change of user (SetUser) renews the ID by
// itself, against session fixation, unless Options.KeepIDOnLogin.
//
// Rejected cookies (missing, malformed, tampered, expired, for another
// cookie name or under an unknown key) give the handler a new, empty
// session and are logged by reason, never with the token; they never cause
// an error page. When a store cannot answer (ErrStoreUnavailable), the
// request fails through Options.ErrorHandler instead, and the client keeps
// its cookie: an empty session must never overwrite a user's data.
//
// # Key rotation
//
// Tokens carry the ID of the key that sealed them. A token opened with a key
// that is no longer primary is re-sealed with the primary key on its way
// out, so sessions move to a new key as they are used. See package
// keyrotation for the staged rotation across a fleet of servers.
//
// # Cookie size and the MongoDB fallback
//
// Browsers drop a cookie whose name and value exceed 4096 bytes
// (MaxCookieSize) and keep sending the old one, silently. Stores therefore
// measure the final cookie, as large as it can grow while the session ages
// unchanged, and refuse to exceed the limit with a *SizeError
// that matches ErrTooLarge; the request then fails through the error
// handler and the client keeps its previous cookie. A cookie-only store
// holds about 3 KB of encoded values.
//
// # Writing a Store
//
// The boundary between the Manager and its store runs one way. The Manager
// owns HTTP and the session's meaning: the cookie's name and attributes, the
// clock, the timeouts and lifetimes, when to write, and every check of a
// session's deadlines. It turns a Session into a Record (the payload
// encoding, the same bytes in every mode, plus the plain facts a store needs:
// ID, user, deadlines, revision, what the request changed) and a loaded
// Record back into a Session. A Store turns tokens into Records and back; it
// gets the cookie's name and the Manager's clock with every call, so it has
// no setting of its own that could disagree. Stores never call back into the
// Manager or the Session. See the Store interface for the contract, package
// serverstore for the engine that server stores share, and its Backend
// interface for adding a database.
//
// # Metrics and traces
//
// Options.Observer receives an event for each token loaded and each
// session saved. The Manager passes it to its store in the context of each
// call, and the store to its key ring, which report through optional
// methods of the Observer what only they see (see Observer): revocation
// checks, merges of concurrent saves, cleanups, key ring reloads, and seals
// per key. Module github.com/sessionseal/session/otelsession turns them all
// into OpenTelemetry metrics and spans.
package session
