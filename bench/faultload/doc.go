// Command faultload is the fault and load harness: a real HTTP server with
// the hybrid store over a server-store backend, and simulated users adding
// and removing cart items (some carts large enough to spill to the server
// store), while it kills and restarts the database, rotates keys through
// add, promote and disable, and sends tampered and oversized cookies.
//
//	cd bench && go run ./faultload -users 50 -duration 60s
//	cd bench && go run ./faultload -backend redis
//
// -backend chooses the database, which the harness starts on loopback:
// mongo (devmongo, the default), mongo-pg (devmongo over PostgreSQL, whose
// devmongo process each outage kills), redis (redis-server, which must be
// installed, with an append-only file synced on every write so that a
// crash keeps every acknowledged write), postgres (PostgreSQL's programs
// through internal/pgtest, stopped with a fast shutdown, which ends every
// connection at once as a crash would) or memory, which has no server and
// so no outages. bench/internal/backends starts each.
//
// It prints the requests, the responses by class, the median and 99th
// percentile latency, and the number of acknowledged cart changes missing
// at the end, which must be 0: a change the server answered 200 to must
// survive outages and rotations. Requests refused while the database is down
// must be clean 503s, and the client keeps its cookie. The exit status is 1
// when either fails.
//
// devmongo runs as a child process and each outage kills it (SIGKILL), as a
// crash would, so that requests in flight die with it. A graceful stop would
// let FerretDB finish them for a few seconds after their clients gave up;
// since FerretDB applies a conditional update as a read and then a write
// (FerretDB issue 3040), such a late update can overwrite a newer one, which
// MongoDB, applying the condition atomically, never does. See the mongostore
// package documentation.
package main
