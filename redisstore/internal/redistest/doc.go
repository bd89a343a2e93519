// Package redistest gives tests real Redis servers: a single server and a
// three-master Redis Cluster. REDIS_URL names an external single server
// (redis://host:port/db) and REDIS_CLUSTER_URLS the seeds of an external
// cluster (host:port or redis://host:port, comma-separated); without them
// the package starts redis-server itself on free loopback ports, without
// persistence, in a temporary directory, and creates the cluster with
// redis-cli --cluster create.
//
// A test package that uses it calls Run from TestMain, which stops the
// servers it started when the tests are done:
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }
//
//	func TestStore(t *testing.T) {
//		redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
//			prefix := tp.Prefix(t) // its keys are deleted when t ends
//			b, err := redisstore.New(tp.Client(t), redisstore.Options{Prefix: prefix})
//			...
//		})
//	}
//
// The servers are shared by the whole test binary and started on first
// use; tests keep apart by their key prefixes. StartServer starts a server
// of a test's own, which the test may kill, restart on the same port, or
// pause, for outage tests.
//
// When redis-server is not installed (Debian package redis-server) and no
// URL names a server, the tests that need one skip, or fail when the CI
// environment variable is set, so that CI never passes without running
// them.
//
// The root module's internal/redisproc runs every server this package
// starts; what is here is what only Redis tests need: the shared
// deployments, the cluster, the URLs, key prefixes and skips. The
// processes do not outlive the test binary: Run stops them, and on Linux
// the kernel kills them if the test binary dies first.
package redistest
