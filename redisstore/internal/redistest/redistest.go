package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session/internal/redisproc"
)

const (
	// readyTimeout bounds the wait for a client to reach a deployment.
	readyTimeout = 10 * time.Second

	// clusterTimeout bounds the creation of the cluster.
	clusterTimeout = time.Minute

	// cleanupTimeout bounds the deletion of a test's keys.
	cleanupTimeout = 10 * time.Second
)

// howToGetOne ends the message of a test that has no server.
const howToGetOne = "install the Debian package redis-server (apt-get install redis-server), " +
	"or set REDIS_URL and REDIS_CLUSTER_URLS to running servers"

// errNoBinary reports that redis-server or redis-cli is not installed.
var errNoBinary = errors.New("redistest: redis-server not found")

var (
	// running is set by Run; without it the servers would be left to
	// the kernel and their directories never removed.
	running atomic.Bool

	single  = &shared{name: "single", env: "REDIS_URL", setup: setupSingle}
	cluster = &shared{name: "cluster", env: "REDIS_CLUSTER_URLS", setup: setupCluster}
)

// shared is a deployment that the whole test binary uses, set up on first
// use.
type shared struct {
	name  string
	env   string // names an external deployment
	setup func() (*Topology, error)

	once sync.Once
	tp   *Topology
	err  error
}

// Topology is a Redis deployment under test: a single server or a
// cluster.
type Topology struct {
	// Name is "single" or "cluster".
	Name string

	newClient func() redis.UniversalClient
	client    redis.UniversalClient
	servers   []*redisproc.Server // nil for an external deployment
}

// Run runs the tests, then closes the shared clients and stops the servers
// it started, and returns m.Run's exit code. Every test package that uses
// redistest calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }
func Run(m *testing.M) int {
	running.Store(true)
	// go-redis logs each failed dial; outage tests make hundreds.
	redis.SetLogger(discard{})
	code := m.Run()
	for _, s := range []*shared{single, cluster} {
		// A no-op that waits for a setup in progress and prevents a
		// later one, so that s.tp is final here.
		s.once.Do(func() {})
		if s.tp != nil {
			if err := s.tp.close(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
	}
	return code
}

// discard is a go-redis logger that logs nothing.
type discard struct{}

func (discard) Printf(context.Context, string, ...any) {}

// Each runs fn as a subtest on the single server, then on the cluster.
func Each(t *testing.T, fn func(t *testing.T, tp *Topology)) {
	t.Helper()
	for _, s := range []*shared{single, cluster} {
		t.Run(s.name, func(t *testing.T) { fn(t, s.get(t)) })
	}
}

// Single returns the single server.
func Single(t testing.TB) *Topology {
	t.Helper()
	return single.get(t)
}

// Cluster returns the cluster.
func Cluster(t testing.TB) *Topology {
	t.Helper()
	return cluster.get(t)
}

// get returns the deployment, setting it up on first use; it skips or fails
// the test when there is none.
func (s *shared) get(t testing.TB) *Topology {
	t.Helper()
	if !running.Load() {
		t.Fatal("redistest: call os.Exit(redistest.Run(m)) from the package's TestMain")
	}
	s.once.Do(func() { s.tp, s.err = s.setup() })
	switch {
	case errors.Is(s.err, errNoBinary):
		skip(t)
	case s.err != nil:
		t.Fatalf("redistest: no Redis %s: %v", s.name, s.err)
	}
	for _, srv := range s.tp.servers {
		if err := srv.Crashed(); err != nil {
			t.Fatalf("redistest: %v", err)
		}
	}
	return s.tp
}

// skip skips the test for want of redis-server, or fails it under CI.
func skip(t testing.TB) {
	t.Helper()
	msg := fmt.Sprintf("%v: %s", errNoBinary, howToGetOne)
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: the Redis tests must run)")
	}
	t.Skip(msg)
}

// installed reports errNoBinary when redis-server or redis-cli is missing.
func installed() error {
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			return errNoBinary
		}
	}
	return nil
}

func setupSingle() (*Topology, error) {
	tp := &Topology{Name: "single"}
	if url := os.Getenv("REDIS_URL"); url != "" {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %v", err)
		}
		opts.ContextTimeoutEnabled = true
		tp.newClient = func() redis.UniversalClient { return redis.NewClient(opts) }
	} else {
		if err := installed(); err != nil {
			return nil, err
		}
		srv, err := redisproc.Start(redisproc.Options{})
		if err != nil {
			return nil, err
		}
		tp.servers = []*redisproc.Server{srv}
		tp.newClient = func() redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
		}
	}
	tp.client = tp.newClient()
	return tp, tp.ready()
}

func setupCluster() (*Topology, error) {
	tp := &Topology{Name: "cluster"}
	var addrs []string
	if urls := os.Getenv("REDIS_CLUSTER_URLS"); urls != "" {
		for _, seed := range strings.Split(urls, ",") {
			seed = strings.TrimSpace(seed)
			if strings.Contains(seed, "://") {
				opts, err := redis.ParseURL(seed)
				if err != nil {
					return nil, fmt.Errorf("REDIS_CLUSTER_URLS: %v", err)
				}
				seed = opts.Addr
			}
			addrs = append(addrs, seed)
		}
	} else {
		if err := installed(); err != nil {
			return nil, err
		}
		for range 3 {
			srv, err := redisproc.Start(redisproc.Options{Args: clusterNode})
			if err != nil {
				tp.close()
				return nil, err
			}
			tp.servers = append(tp.servers, srv)
			addrs = append(addrs, srv.Addr())
		}
		ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
		defer cancel()
		if err := createCluster(ctx, tp.servers); err != nil {
			tp.close()
			return nil, err
		}
	}
	tp.newClient = func() redis.UniversalClient {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	}
	tp.client = tp.newClient()
	return tp, tp.ready()
}

// ready waits until the shared client reaches the deployment.
func (tp *Topology) ready() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var err error
	for ctx.Err() == nil {
		if err = tp.client.Ping(ctx).Err(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	tp.close()
	return fmt.Errorf("the %s does not answer: %v", tp.Name, err)
}

// close closes the shared client, stops the servers and removes their
// directories.
func (tp *Topology) close() error {
	var errs []error
	if tp.client != nil {
		errs = append(errs, tp.client.Close())
	}
	for _, srv := range tp.servers {
		errs = append(errs, srv.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("redistest: stopping the %s: %v", tp.Name, err)
	}
	return nil
}

// Client returns the test binary's shared client of the deployment, a
// *redis.Client or a *redis.ClusterClient with ContextTimeoutEnabled.
// Tests must not close it.
func (tp *Topology) Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	return tp.client
}

// NewClient returns a client of its own, with its own connections, closed
// when the test ends.
func (tp *Topology) NewClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	c := tp.newClient()
	t.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a key prefix of the test's own, "test:" and 12 random hex
// digits and ":", and deletes the keys under it when the test ends.
func (tp *Topology) Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := DeleteUnder(ctx, tp.client, prefix); err != nil {
			t.Errorf("redistest: deleting the test's keys: %v", err)
		}
	})
	return prefix
}

// DeleteUnder deletes every key whose name starts with prefix, on every
// master. prefix must hold no glob character.
func DeleteUnder(ctx context.Context, client redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var names []string
		for iter.Next(ctx) {
			names = append(names, iter.Val())
		}
		if err := iter.Err(); err != nil {
			return err
		}
		for len(names) > 0 {
			n := min(len(names), 500)
			// One key per command: in a cluster they may lie in
			// different slots.
			if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, name := range names[:n] {
					p.Unlink(ctx, name)
				}
				return nil
			}); err != nil {
				return err
			}
			names = names[n:]
		}
		return nil
	}
	if c, ok := client.(*redis.ClusterClient); ok {
		return c.ForEachMaster(ctx, del)
	}
	return del(ctx, client.(*redis.Client))
}

// ServerOptions configures StartServer.
type ServerOptions struct {
	// Persistent makes the server write every change to its append-only
	// file before it answers, so that a restart after Kill finds every
	// acknowledged write. Default false: no persistence.
	Persistent bool
}

// Server is a redis-server of one test's own.
type Server struct {
	srv *redisproc.Server
}

// StartServer starts a redis-server of the test's own on a free loopback
// port, and stops it and removes its directory when the test ends. It
// skips the test when redis-server is not installed (fails it under CI),
// whatever REDIS_URL says: an external server cannot be killed.
func StartServer(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	if installed() != nil {
		skip(t)
	}
	srv, err := redisproc.Start(redisproc.Options{Durable: opts.Persistent})
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() {
		// A paused server takes SIGTERM only once resumed; a stopped
		// one refuses the signal, and needs none.
		srv.Signal(syscall.SIGCONT)
		if err := srv.Close(); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return &Server{srv: srv}
}

// Addr returns the server's host:port, which a restart keeps.
func (s *Server) Addr() string { return s.srv.Addr() }

// NewClient returns a client of the server with ContextTimeoutEnabled,
// closed when the test ends.
func (s *Server) NewClient(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if err := s.srv.Kill(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Restart starts the killed server again on its port and directory.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.srv.Restart(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Pause stops the server's process (SIGSTOP): its port still accepts
// connections, and nothing answers them, until Resume.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.srv.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.srv.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}
