// Package redisstore is a serverstore.Backend on Redis, a single server or a
// Redis Cluster: the engine in package serverstore does everything else
// (sealing, reference tokens, merges, stamps).
//
//	client := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	// or redis.NewClusterClient(&redis.ClusterOptions{Addrs: seeds, ContextTimeoutEnabled: true})
//	b, err := redisstore.New(client, redisstore.Options{})
//	if err != nil { ... }
//	store, err := serverstore.New(keys, b, serverstore.Options{})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := session.NewManager(store, session.Options{})
//
// It needs Redis 7.0 or later, configured with maxmemory-policy noeviction
// (see the security model), and a client with ContextTimeoutEnabled, without
// which go-redis ignores the deadlines of contexts.
//
// # Keys
//
// Every key starts with Options.Prefix ("sessionseal:" by default) and ends
// with a hex SHA-256 hash in braces, the key's hash tag:
//
//	<prefix>s:{<record key>}  hash: a session record, expiring at its ExpiresAt
//	    d data, v version, x ExpiresAt, m Updated, c Created, f From,
//	    u user, a user agent, i IP, ix (with u) how long the user's index
//	    is known to list the record; times in Unix milliseconds
//	<prefix>u:{<user key>}    sorted set: the user's index; members are the
//	    hex keys of the user's records, scored by how long each may live;
//	    it expires a minute after its last member
//	<prefix>t:{<stamp key>}   hash: a revocation stamp, expiring at its ExpiresAt
//	    nb NotBefore, x ExpiresAt, e:<handle> one per ended session
//
// Records, indexes and stamps each hash to a slot of their own in a cluster.
// Redis deletes each key at its expiry (PEXPIREAT), so NativeExpiry is true
// and the store runs no cleanup. Times are kept to the millisecond.
//
// # Commands
//
// Every step is a single command or a Lua script on a single key, so each is
// atomic and legal in a cluster; a pipeline of such commands is split by the
// client among the nodes. In round trips, once the servers have the scripts
// (the first run of a script on a node sends its source):
//
//	Get         HGETALL                                              1
//	Insert      index script on the user's index, if the record has a
//	            user; then a script that creates the record (EXISTS,
//	            HSET, PEXPIREAT)                                     1, 2 with a user
//	Update      index script, if the record has a user; then a script
//	            that checks the version and writes                   1, 2 with a user
//	Delete      script that checks the version and deletes           1
//	ListUser    ZRANGE; HGETALL of each member, pipelined            2
//	DeleteUser  ZRANGE; a script per member that deletes the record
//	            if it is still the user's, pipelined                 2
//	GetStamp    HGETALL                                              1
//	RaiseStamp  script that keeps the later of each time             1
//	DropEnded   HDEL                                                 1
//	Scan, Count, DeleteExpired   a pass of SCAN over every master
//
// Through the store, a request that only reads its session costs one round
// trip; one that changes it two, three with a user (the read, then the
// update); a new session one, two with a user. An Update needs a third
// script run only when the stored user or expiry differs from the one the
// engine gave, which a concurrent save can cause.
//
// Scan, Count and DeleteExpired are passes over the whole keyspace, since
// Redis keeps no order of keys and a list of them would cost every write a
// step: Count is one pass (a counter would drift as keys expire), and Scan
// one per page, keeping the smallest keys, so serverstore.Store.Rewrap over
// n records costs about n/256 passes. The store never calls DeleteExpired,
// which Redis's own expiry makes unnecessary.
//
// # Users and revocation
//
// RevokeUser ("log out everywhere") deletes every record its user's index
// lists that still belongs to the user. That finds every live record of the
// user because of one invariant: a record of a user is listed in the user's
// index, with a score at or after its expiry, for as long as it lives. Insert
// and Update add or raise the member (ZADD GT) before they write the record,
// and the record keeps in ix how far its listing is known to reach: the
// update script refuses to keep a record longer, or to give it to another
// user, than a listing covers, and asks for one first. Members leave an index
// only a minute after their score, when their records have expired, which
// absorbs a difference of up to a minute between the clocks of two cluster
// nodes.
//
// No other removal is safe, and none is made: not after a delete, not on a
// read that finds a listed record gone, not the whole index after a
// revocation. A record is written after its listing, in another slot, so a
// reader that finds it missing cannot tell a deleted record from one whose
// insert is in flight, or from the same key inserted again; dropping the
// member could leave the new record unlisted, out of reach of the next
// revocation. Members of deleted records therefore stay until their expiry
// plus a minute, and ListUser and DeleteUser skip them at the cost of a
// read each; members of records that moved to another user are skipped the
// same way, and DeleteUser deletes a record only if it still belongs to the
// user.
//
// Against concurrent requests:
//
//   - A save after the revocation finds its record gone: the update script
//     writes nothing to a missing key, and the engine refuses to create it
//     again (session.ErrConflict).
//   - A renewed session (session.Session.Renew) is inserted under a new key
//     and its old record is then deleted, conditioned on its version. When a
//     revocation deleted the old record in between, that delete fails, and
//     the engine deletes the new record too: the renewal does not escape the
//     revocation. A login of the same session (Update with a new user) lists
//     the record first: a revocation that read the index before that is one
//     that came before the login.
//   - A new session inserted while the revocation runs, and not yet listed
//     when it read the index, is ordered after the revocation, like a login
//     a moment later; it is listed for the next one.
//   - A session moving from its cookie (package hybrid) keeps its ID and its
//     start; package hybrid checks every session of a user, in either mode,
//     against the user's stamp, which the revocation raised, when it loads.
//
// # Security model
//
// Keys are SHA-256 hashes of session IDs, user IDs and stamp labels, and
// data is sealed by the engine: a dump of the server holds no live token
// and no readable session. The backend logs nothing, and its errors never
// hold keys or values.
//
// Redis must not evict keys: evicting a user's index would hide records from
// RevokeUser, and evicting a stamp would undo a revocation of cookie
// sessions. Run the server (every node of a cluster) with maxmemory-policy
// noeviction; a full server then refuses writes, which the backend reports
// as session.ErrStoreUnavailable, and the Manager answers 503. Reach the
// server over TLS with a password or an ACL user of its own when it is not on
// a private network; the client carries both.
//
// # Availability
//
// Errors that mean the server or cluster could not serve a command now
// (connection refused or lost, deadlines, CLUSTERDOWN, TRYAGAIN, LOADING,
// MASTERDOWN, READONLY after a failover, OOM, a closed client) match
// session.ErrStoreUnavailable: the Manager answers 503 and the client keeps
// its cookie. The backend recovers with the client when the server returns.
// With go-redis's defaults, a refused connection costs a call about 0.8 s of
// retries (five dials, three attempts) before it fails; lower
// redis.Options.DialerRetries and MaxRetries for a quicker 503.
//
// go-redis retries a command whose answer was lost (redis.Options.MaxRetries,
// 3 by default), so a write may run twice. Insert and Update recognise a
// record already at their version with their data as their own and report
// success; a conditional Delete that ran twice reports false the second time,
// which the engine takes for a concurrent change and handles like one.
//
// # Pushed revocations
//
// The backend pushes stamp changes (WatchStamps, the optional part of
// serverstore.Backend): the script that raises a stamp also PUBLISHes the
// stamp's key on the channel Prefix + "stamps", and every server store
// over the backend SUBSCRIBEs to it, on one connection of its own, so that
// package hybrid drops its cached copy of the stamp at once. With three
// servers over one Redis or a 3-node cluster, "log out everywhere" reached
// the other two in under 10 ms, against up to the one-minute cache TTL
// without it. In a cluster, PUBLISH reaches every node, so the subscription
// may be held by any. A lost subscription is made again by the engine,
// which meanwhile takes every cached stamp as changed. A Redis user whose
// ACL grants no pub/sub channel (the default for users made with ACL
// SETUSER in Redis 7) still raises stamps, unpushed; its subscription
// fails and is logged, and the caches keep stamps for their TTL. Grant it
// the channel (&prefix + "stamps") for the push.
//
// # Cluster
//
// Each script touches one key, in its own hash slot; the steps that span
// slots (listing a record, then writing it; reading an index, then its
// records) run one after the other in the order the invariant above needs.
// While a slot moves between nodes, SCAN on each master may miss or repeat
// keys: Scan drops repeats, and Rewrap can be run again.
//
// # Client
//
// The backend uses go-redis v9 (github.com/redis/go-redis/v9) rather than
// valkey-go. Both support clusters and scripts; go-redis is the client most
// applications already hold, with one interface over a server, a cluster and
// Sentinel (redis.UniversalClient), scripts that fall back from EVALSHA to
// EVAL, pipelines that it splits among cluster nodes, and hooks that tracing
// plugs into. It adds three small modules to a build (cespare/xxhash,
// go.uber.org/atomic, golang.org/x/sys). valkey-go is faster under load
// through automatic pipelining, but has its own command builder that an
// application would need beside its existing client.
package redisstore
