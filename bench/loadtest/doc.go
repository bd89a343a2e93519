// Command loadtest measures MongoDB-mode requests under concurrency: a real
// HTTP server with session.Manager over the hybrid store (or the server
// store alone) on devmongo, and simulated users, each with a session of its
// own kept on the server, reading their carts and changing one quantity.
//
//	cd bench && go run ./loadtest -users 16 -duration 30s
//
// Each user logs in once, which makes its session revocable and so moves
// it to MongoDB (hybrid keeps revocable sessions on the server), then sends
// requests one after another as fast as the server answers: a change of one
// quantity in the cart with probability -writes, otherwise a read of the
// cart. It prints the requests, the throughput, the median and 99th
// percentile latency of all requests, of reads and of changes (measured by
// the client, over loopback HTTP), and the database commands per request
// that the store's MongoDB client sent.
//
// At the end, every user reads its cart once more: the quantity must be
// the last one the server acknowledged. The exit status is 1 when that
// fails for any user or when any request got an answer other than 200.
//
// devmongo (FerretDB over SQLite) runs as a child process, built and
// started as the tests start it (internal/mongotest); set MONGODB_URI to
// run against another server instead.
package main
