// Command gin shows the session middleware in a Gin engine, for pages and for
// API clients that send the session as a bearer token.
//
//	go run ./gin                       # from examples/; serves 127.0.0.1:8080
//	curl -c jar -b jar -X PUT localhost:8080/cart/book
//	curl -c jar -b jar -X POST localhost:8080/token    # {"token":"..."}
//	curl -H 'Authorization: Bearer <token>' localhost:8080/cart
//
// # The adapter
//
// Gin has no wrapper for net/http middleware (gin.WrapH and gin.WrapF wrap
// handlers), so sessions adapts Manager.Middleware the usual way: a
// gin.HandlerFunc that runs the middleware around c.Next. Two details make it
// correct rather than merely compile:
//
//   - Gin handlers write through c.Writer, so c.Writer must be the Manager's
//     writer for the cookie to go out before the first byte. sessionWriter
//     implements gin.ResponseWriter: the methods that write (Header, Write,
//     WriteString, WriteHeader, WriteHeaderNow, Flush, Hijack) go through the
//     Manager's writer, and the bookkeeping (Status, Size, Written, Pusher,
//     CloseNotify) comes from Gin's own writer, which the Manager's writer
//     wraps. The original c.Writer is put back when the handlers return or
//     panic, so gin.Recovery, installed before sessions, writes its 500
//     without saving a half-made change.
//   - When the Manager answers by itself (a refused bearer token gets 401, an
//     unreachable store 503), the handlers must not run: Gin would otherwise
//     call the rest of the chain after a middleware that skipped c.Next, so
//     sessions calls c.Abort.
//
// The alternative is to wrap the whole engine, m.Middleware(engine), which
// needs no adapter: Gin's writer then wraps the Manager's. This example uses
// the adapter because that is how Gin users install middleware, and it lets a
// router group have sessions while the rest of the engine has none.
//
// Handlers read the session from the request's context:
// session.From(c.Request.Context()). The *gin.Context itself finds it only
// when the engine's ContextWithFallback is on.
//
// The server keys its sessions with a fresh key ring in memory, so sessions
// end when it stops, and it serves plain HTTP on loopback, so it turns on
// AllowInsecureHTTP; production servers load a ring with keyrotation.LoadFile
// and keep the secure default.
package main
