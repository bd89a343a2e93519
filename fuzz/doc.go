// Package fuzz holds fuzz targets over the module's public API, with seed
// corpora in testdata/fuzz and inline seeds in each target:
//
//   - FuzzCookieLoad: arbitrary sealed-cookie tokens; never a panic, never a
//     token the store did not seal.
//   - FuzzCookieTamper: any change to a valid token is refused.
//   - FuzzSessionRoundTrip: arbitrary keys, nested JSON values, flashes,
//     users, flags and times survive sealing and opening, and expire exactly
//     at the idle timeout.
//   - FuzzCookieHeader: raw Cookie headers through the middleware; never a
//     panic or a 5xx, always a usable session.
//   - FuzzReferenceToken: MongoDB reference JWTs (algorithm confusion,
//     "none", many dots, huge segments); it starts devmongo like the other
//     MongoDB tests.
//   - FuzzKeyringParse: key ring files.
//   - FuzzLegacyCookie: gorilla/securecookie cookies through the migration
//     of package gorillacompat.
//
// .ci/run runs each for 1,000,000 executions, 1 to 2 minutes per target
// on 2 shared cores. Run one for an hour or more with a larger count, for
// example:
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzCookieLoad$' -fuzztime 50000000x
//
// A count, not a duration: under Go 1.26 a run bounded by time can end with
// "context deadline exceeded" and no failing input, a race in the fuzz
// coordinator (golang/go#75804, fixed in Go 1.27), not a finding.
//
// A crash the fuzzer finds is written to testdata/fuzz/FuzzName/; commit
// that file with the fix, and it runs as a regression test in every plain
// go test from then on. Every target but FuzzReferenceToken replays it the
// same way in every run: they use the key ring in testdata/keys.json, made
// for them alone, and those that seal use a fixed clock (FuzzSessionRoundTrip
// takes it from the input; FuzzKeyringParse needs neither); the authentic
// seed tokens in testdata/tokens/sealed-*.txt were sealed under both.
// FuzzReferenceToken runs on the real clock against a database made afresh
// in each run, so a token kept from an earlier run names no session there.
package fuzz
