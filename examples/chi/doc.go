// Command chi shows the session middleware in a chi router: it is plain
// net/http middleware, so r.Use(m.Middleware) is all it takes, and handlers
// read the session with session.From(r.Context()) next to chi.URLParam.
//
//	go run ./chi                       # from examples/; serves 127.0.0.1:8080
//	curl -c jar -b jar -X PUT localhost:8080/cart/book
//	curl -c jar -b jar localhost:8080/cart
//
// Order matters for middleware.Recoverer: put it before (outside) the session
// middleware, as here. A panicking handler then unwinds past the Manager,
// which saves nothing, so a change half made before the panic never reaches
// the cookie; the client keeps its previous session. Recoverer inside the
// session middleware would write its 500 through the Manager's writer and
// save whatever the handler had changed.
//
// The server keys its sessions with a fresh key ring in memory, so sessions
// end when it stops, and it serves plain HTTP on loopback, so it turns on
// AllowInsecureHTTP; production servers load a ring with keyrotation.LoadFile
// and keep the secure default.
package main
