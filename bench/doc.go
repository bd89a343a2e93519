// Package bench compares sessionseal with its peers in one go test -bench
// run, for benchstat to set side by side. Besides the benchmarks, the module
// holds the fault and load harness (./faultload), the command that draws
// the README's chart (./chart) and the measurements of the JSON codecs
// that could encode session values (./codec); it is a nested module so that
// the root module never depends on the peers or the codecs.
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
//     cookiestore.Store; impl=securecookie-json is gorilla/securecookie
//     used directly, as an application that keeps its whole session in one
//     typed struct would (r.Cookie, Decode with securecookie.JSONEncoder;
//     to save, Encode and http.SetCookie); impl=gorilla-sessions is
//     sessions.CookieStore.Get, which needs no middleware; impl=scs-memstore
//     is scs's LoadAndSave with its default in-memory store. Each request is
//     a fresh shallow copy of a template made with httptest.NewRequest,
//     because gorilla/sessions caches the decoded session in the request it
//     is given, and goes to a ResponseWriter that discards everything.
//   - BenchmarkCartRead: the same, with a handler that reads the 3-item cart
//     ([]CartItem) rather than a string.
//   - BenchmarkCartChange: the same, with a handler that reads the cart,
//     sets one item's quantity to a new value, writes the cart back and
//     saves: a new Set-Cookie for the cookie stores, a write to the store
//     (and scs's Set-Cookie) for scs.
//
// The three request benchmarks first run impl=bare, the same handler
// without sessions on values held in memory. Every other implementation
// then also reports overhead-ns/op, its time per request less bare's in
// the same run: the cost its session layer adds to the handler, which is
// what the ratios in README.md compare.
//
// Each of these benchmarks reports ns/op, B/op, allocs/op and, as cookie-bytes, the
// length of the cookie value. TestPeersAgree checks that every
// implementation decodes the reference session, that every request
// handler saw user_id or the cart, and that every change request set a
// cookie that reads back as the changed cart, so that no benchmark can pass
// by timing a failure.
//
// BenchmarkScale measures the server store, not the peers: requests
// through session.Manager over serverstore.Store while the store holds
// sessions=100, 1000 and 10000 live sessions, on backend=memstore,
// backend=devmongo (FerretDB over SQLite, from internal/mongotest;
// backend=mongodb when MONGODB_URI is set), backend=devmongo-pg
// (FerretDB over a PostgreSQL server from internal/pgtest), backend=redis
// (redisstore over a redis-server of its own, from internal/redisproc,
// without persistence) and backend=postgres (pgstore over internal/pgtest's
// server). The sessions are made by requests, so every document is a real
// one; each op=read loads a random one and reads its cart, each op=write
// changes one quantity of a random one and saves it, op=cleanup is
// Store.DeleteExpired with 10 expired records among the live ones (skipped
// where the database expires records itself, as Redis does), and
// op=revokeuser is Manager.RevokeUser of a user with 2 sessions. Each
// reports commands/op, the database round trips the backend's client made
// (counted by bench/internal/backends; memstore: its backend calls), and
// backend-calls/op. The command ./loadtest measures latency percentiles,
// throughput and round trips per request with concurrent users, on any
// backend.
//
// To run, from this directory:
//
//	go test -run '^$' -bench 'RoundTrip|Request|Cart' -benchmem -count 6 | tee /tmp/bench.txt
//	go install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
//	~/go/bin/benchstat -col /impl /tmp/bench.txt
//	go run ./chart < /tmp/bench.txt > ../docs/bench.svg
package bench
