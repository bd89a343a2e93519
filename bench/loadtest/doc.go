// Command loadtest measures server-store requests under concurrency: a
// real HTTP server with session.Manager over the hybrid store (or the
// server store alone) on one backend, and simulated users, each with a
// session of its own kept on the server, reading their carts and changing
// one quantity.
//
//	cd bench && go run ./loadtest -users 16 -duration 30s
//	cd bench && go run ./loadtest -backend redis
//
// Each user logs in once, which makes its session revocable and so moves
// it to the server store (hybrid keeps revocable sessions on the server),
// then sends requests one after another as fast as the server answers: a
// change of one quantity in the cart with probability -writes, otherwise a
// read of the cart. It prints the requests, the throughput, the median and
// 99th percentile latency of all requests, of reads and of changes
// (measured by the client, over loopback HTTP), and the database round
// trips per request that the backend's client made, counted by the client
// (bench/internal/backends): under the load, and for one user's requests
// sent one at a time after it, by kind (a read, a change, and a read of an
// unchanged session past the touch interval, which writes it).
//
// At the end, every user reads its cart once more: the quantity must be
// the last one the server acknowledged. The exit status is 1 when that
// fails for any user or when any request got an answer other than 200.
//
// -backend chooses the database, started on loopback as a child process:
// mongo (devmongo, FerretDB over SQLite, the default; MONGODB_URI names
// another server instead), mongo-pg (devmongo over PostgreSQL), redis
// (redis-server, no persistence), postgres (pgstore over PostgreSQL, run
// by internal/pgtest with fsync off) or memory.
package main
