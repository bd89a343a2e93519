// Command echo shows the session middleware in an Echo server through Echo's
// standard adapter for net/http middleware:
//
//	e.Use(echo.WrapMiddleware(m.Middleware))
//
// Handlers get the session from the request's context, as in net/http:
//
//	s := session.From(c.Request().Context())
//
// WrapMiddleware gives the handler an echo.Response that writes through the
// Manager's writer, so c.String, c.JSON and the rest carry the Set-Cookie
// header of a session changed before them: the Manager saves the session
// before the first byte. A change made after the response is written is too
// late for its header and is not saved (the Manager logs a warning).
// A handler's error goes to Echo's HTTPErrorHandler after the Manager has
// saved the session, so changes made before the error are kept.
//
// Run it from examples/; it serves 127.0.0.1:8080 (-addr to change):
//
//	go run ./echo
//	curl -c jar -b jar -X PUT localhost:8080/cart/book
//	curl -c jar -b jar localhost:8080/cart/book
//
// The server keys its sessions with a fresh key ring in memory, so sessions
// end when it stops, and it serves plain HTTP on loopback, so it turns on
// AllowInsecureHTTP; production servers load a ring with keyrotation.LoadFile
// and keep the secure default.
package main
