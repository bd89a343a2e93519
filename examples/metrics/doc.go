// Command metrics shows Options.Observer feeding metrics: Metrics counts
// the Manager's per-request events with the standard library alone
// (sync/atomic and expvar) and is published under expvar, so /debug/vars
// shows, as the "sessionseal" variable:
//
//   - loads by source and outcome: "none" (no token), "cookie/found",
//     "cookie/rejected/invalid", "cookie/rejected/expired",
//     "cookie/rejected/unknown_key", "cookie/error", and the same for
//     "bearer";
//   - saves: "cookie/saved" or "server/saved" by the mode the session
//     lives in, "destroyed", "failed"; and, among the saved, how many only
//     re-sealed an unchanged session (saves_resealed);
//   - a histogram of the length of issued tokens (token_bytes, cumulative
//     buckets up to the 4096-byte cookie limit, with count and sum);
//   - the time spent in the store, count and sum, for loads and for saves.
//
// Events carry no tokens, IDs or values, and so neither do the counters.
// The doc comment of Metrics sketches how the same two methods feed
// Prometheus or OpenTelemetry.
//
// Run it from examples/; it serves 127.0.0.1:8080 (-addr to change):
//
//	go run ./metrics
//	curl -c jar -b jar localhost:8080/visit     # changes the session
//	curl -c jar -b jar localhost:8080/peek      # reads it
//	curl localhost:8080/debug/vars
//
// /debug/vars sits outside the session middleware, so reading the metrics
// adds no events. It also shows the command line and memory statistics:
// do not expose it publicly in production.
//
// The server keys its sessions with a fresh key ring in memory, so sessions
// end when it stops, and it serves plain HTTP on loopback, so it turns on
// AllowInsecureHTTP; production servers load a ring with keyrotation.LoadFile
// and keep the secure default.
package main
