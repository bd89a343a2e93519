// Package otelsession turns the events of a session.Manager, its stores and
// their key ring into OpenTelemetry metrics and spans. It is a module of its
// own, so that the session module does not depend on OpenTelemetry.
//
//	obs, err := otelsession.New(otelsession.WithMeterProvider(mp))
//	if err != nil { ... }
//	m, err := session.NewManager(store, session.Options{Observer: obs})
//
// Options.Observer is the only place to set it: the Manager passes it to
// the store in the context of each call, and the store to its key ring, so
// hybrid's revocation checks, a server store's merges and cleanups, and
// the ring's reloads (keyrotation.WatchFile) are reported too. A store
// learns it from the Manager's first call: a cleanup or a reload before
// the first request is not counted. Without options, New uses the global
// providers (otel.GetMeterProvider, otel.GetTracerProvider).
//
// # Metrics
//
// Names and units follow the OpenTelemetry semantic conventions: lowercase,
// dot-separated names under "sessionseal.", units in UCUM.
//
//	name                                     type            unit       attributes
//	sessionseal.session.loads                counter         {load}     sessionseal.source, sessionseal.result, sessionseal.mode
//	sessionseal.session.saves                counter         {save}     sessionseal.mode, sessionseal.result
//	sessionseal.session.reseals              counter         {save}     sessionseal.mode
//	sessionseal.token.size                   histogram       By         sessionseal.mode
//	sessionseal.store.duration               histogram       s          sessionseal.operation, error.type
//	sessionseal.revocation.checks            counter         {check}    sessionseal.source, sessionseal.result
//	sessionseal.store.merges                 counter         {merge}
//	sessionseal.store.conflicts              counter         {conflict}
//	sessionseal.store.cleanups               counter         {cleanup}  sessionseal.result
//	sessionseal.store.cleanup.deleted        counter         {record}
//	sessionseal.keyring.reloads              counter         {reload}   sessionseal.result
//	sessionseal.key.seals                    async counter   {seal}     sessionseal.key.id, sessionseal.key.state
//	sessionseal.key.nonce_bound.utilization  async gauge     1          sessionseal.key.id, sessionseal.key.state
//
// The attributes take these values:
//
//   - loads: source "cookie", "bearer" or "none" (a request without a
//     token); result "found", "none", "invalid", "expired", "unknown_key"
//     or "error"; mode "cookie" or "server" when found.
//   - saves: result "saved", "destroyed" or "error"; mode where the
//     session lives after the save. reseals counts the saves that only
//     re-sealed an unchanged session or refreshed its idle deadline.
//   - store.duration: operation "load" or "save"; error.type
//     "store_unavailable", "conflict", "too_large", "canceled" or "_OTHER"
//     when the call failed.
//   - revocation.checks (package hybrid, for sessions with a user): source
//     "cache" or "store"; result "valid", "revoked", "failed_open" or
//     "failed_closed" (hybrid.Options.FailOpen).
//   - store.merges counts the saves of a server store that lost to a
//     concurrent save of the same session and re-applied their changes onto
//     it; store.conflicts those that gave up with session.ErrConflict.
//   - store.cleanups: result "ok" or "error"; store.cleanup.deleted counts
//     the expired records and revocation stamps deleted.
//   - keyring.reloads: result "new_primary", "same_primary" or "error" (the
//     file failed to read or parse, and the ring kept its keys).
//   - key.seals: the AES-GCM seals this process made under each key of
//     each ring the stores use; key.nonce_bound.utilization is the same as
//     a fraction of the 2^32 random-nonce bound per key (NIST SP 800-38D).
//     Sum them across the fleet, and rotate well before 1.
//
// # Spans
//
// Each store call gets a span, "sessionseal.store.load" or
// "sessionseal.store.save", a child of the span in the request's context,
// with the attributes of the load or save and its error type as status. The
// Manager reports a call when it ends, so the span is made then, with the
// call's start and end times; spans of the database client do not nest
// under it.
//
// # Security model
//
// No attribute carries a token, a session ID, a user ID, a value or an
// error's text: every value comes from the fixed sets above, or is a key ID,
// which every token's header shows anyway.
package otelsession
