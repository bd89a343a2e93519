// Command metrics shows Options.Observer feeding OpenTelemetry: an
// otelsession.Observer records the Manager's, the store's and the key
// ring's events as OpenTelemetry metrics, which the OpenTelemetry
// Prometheus exporter serves at /metrics in the Prometheus text format:
//
//   - sessionseal_session_loads_total by source, result and mode:
//     sessionseal_source="none" for a request without a token,
//     sessionseal_result="found", "invalid", "expired", "unknown_key" or
//     "error" for a cookie or bearer token;
//   - sessionseal_session_saves_total by mode and result ("saved",
//     "destroyed", "error"), and sessionseal_session_reseals_total for the
//     saves that only re-sealed an unchanged session;
//   - sessionseal_token_size_bytes, a histogram of the length of issued
//     tokens, and sessionseal_store_duration_seconds, of the time spent in
//     the store by operation;
//   - sessionseal_key_seals_total per key ID, and
//     sessionseal_key_nonce_bound_utilization_ratio, the same as a fraction
//     of the 2^32 AES-GCM nonce bound.
//
// This demo keeps sessions in their cookies; with package hybrid or a
// server store the same Observer also counts revocation checks, merges,
// cleanups and key ring reloads (see package otelsession). No label carries
// a token, an ID or a value.
//
// Run it from examples/; it serves 127.0.0.1:8080 (-addr to change):
//
//	go run ./metrics
//	curl -c jar -b jar localhost:8080/visit     # changes the session
//	curl -c jar -b jar localhost:8080/peek      # reads it
//	curl localhost:8080/metrics
//
// /metrics sits outside the session middleware, so scraping adds no
// events. Do not expose it publicly in production.
//
// The server keys its sessions with a fresh key ring in memory, so sessions
// end when it stops, and it serves plain HTTP on loopback, so it turns on
// AllowInsecureHTTP; production servers load a ring with keyrotation.LoadFile
// and keep the secure default.
package main
