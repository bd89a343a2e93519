// Package bench compares sessionseal with its peers in one go test -bench
// run, for benchstat to set side by side. Besides the benchmarks, the module
// holds the fault and load harness (./faultload) and the command that draws
// the README's chart (./chart); it is a nested module so that the root
// module never depends on the peers.
//
// Every benchmark uses the same reference session: a 34-byte user_id, a
// role, a cart of three CartItem values, a 20-byte flash message and a
// 28-byte CSRF token. Each sub-benchmark is named impl=NAME:
//
//   - BenchmarkCookieRoundTrip: seal the reference session into a cookie
//     value and open it again. impl=sessionseal is cookiestore.Store's Save
//     and Load; impl=securecookie-gob is gorilla/securecookie with its
//     defaults (AES-256-CTR, HMAC-SHA256, gob) on a map[any]any;
//     impl=securecookie-json is the same with securecookie.JSONEncoder on a
//     map[string]any. sessionseal's Load keeps each value as JSON and
//     decodes it only when read, while the peers decode every value.
//   - BenchmarkRequest: one GET through each library's normal request path,
//     carrying a valid cookie made beforehand, whose handler reads user_id
//     and changes nothing. impl=sessionseal is Manager.Middleware over a
//     cookiestore.Store; impl=gorilla-sessions is sessions.CookieStore.Get,
//     which needs no middleware; impl=scs-memstore is scs's LoadAndSave with
//     its default in-memory store. Each request is a fresh shallow copy of a
//     template made with httptest.NewRequest, because gorilla/sessions
//     caches the decoded session in the request it is given.
//
// Each benchmark reports ns/op, B/op, allocs/op and, as cookie-bytes, the
// length of the cookie value. TestPeersAgree checks that every
// implementation decodes the reference session and that every request
// handler saw user_id, so that no benchmark can pass by timing a failure.
//
// To run, from this directory:
//
//	go test -run '^$' -bench . -benchmem -count 6 | tee /tmp/bench.txt
//	go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
//	~/go/bin/benchstat -col /impl /tmp/bench.txt
//	go run ./chart < /tmp/bench.txt > ../docs/bench.svg
package bench
