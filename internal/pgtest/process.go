package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sessionseal/session/internal/childproc"
)

const (
	// readyTimeout bounds the wait for a started server to answer.
	readyTimeout = 30 * time.Second

	// initdbTimeout bounds initdb, about a second on a small machine.
	initdbTimeout = 2 * time.Minute

	// stopTimeout bounds a fast shutdown (SIGINT), which ends open
	// connections at once, before SIGKILL.
	stopTimeout = 15 * time.Second

	// psqlTimeout bounds one psql run.
	psqlTimeout = 30 * time.Second

	// portAttempts is how many free ports start tries: another process can
	// take the port between the probe that found it free and the server's
	// bind.
	portAttempts = 3

	// superuser is the role initdb creates, with trust authentication.
	superuser = "postgres"
)

// ErrNoBinaries reports that the PostgreSQL server programs are not
// installed. Tests are skipped for it, outside CI.
var ErrNoBinaries = errors.New("pgtest: PostgreSQL's programs are not installed")

// libDirs is where Debian's packages put each major version's programs.
const libDirs = "/usr/lib/postgresql/*/bin"

// Process is a PostgreSQL server run as a child process, for programs
// other than tests: the command pgserver, and benchmarks that run outside
// a test's lifetime.
type Process struct{ p *process }

// StartProcess starts a server as the package documentation describes and
// returns it and the URL of its database postgres. The error matches
// ErrNoBinaries when PostgreSQL is not installed.
func StartProcess() (*Process, string, error) {
	bins, err := findServer(os.Getenv("PATH"), libDirs)
	if err != nil {
		return nil, "", err
	}
	p, err := startServer(bins)
	if err != nil {
		return nil, "", err
	}
	return &Process{p}, p.url(superuser), nil
}

// Close stops the server and removes its directory.
func (p *Process) Close() error { return p.p.close() }

// binaries are the programs pgtest runs.
type binaries struct {
	initdb, postgres string // empty when only psql is needed
	psql             string
}

// findServer looks up initdb and postgres in path (a PATH value), then in
// each directory that the glob libs matches, newest version first, and
// psql beside them or in path.
func findServer(path, libs string) (binaries, error) {
	var dirs []string
	for _, d := range filepath.SplitList(path) {
		pg := filepath.Join(d, "postgres")
		if !isExecutable(pg) {
			continue
		}
		// Debian links the programs it puts in PATH to the directory of
		// their version, which holds them all.
		if real, err := filepath.EvalSymlinks(pg); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, d)
	}
	versions, _ := filepath.Glob(libs) // the pattern is well-formed
	slices.SortFunc(versions, func(a, b string) int { return majorVersion(b) - majorVersion(a) })
	dirs = append(dirs, versions...)
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), postgres: filepath.Join(d, "postgres"), psql: filepath.Join(d, "psql")}
		if !isExecutable(b.initdb) || !isExecutable(b.postgres) {
			continue
		}
		if !isExecutable(b.psql) {
			p, err := lookPath("psql", path)
			if err != nil {
				continue
			}
			b.psql = p
		}
		return b, nil
	}
	return binaries{}, fmt.Errorf("%w: no initdb and postgres in PATH or %s", ErrNoBinaries, libs)
}

// findPsql looks up psql alone, for a server that DATABASE_URL names.
func findPsql(path, libs string) (binaries, error) {
	if p, err := lookPath("psql", path); err == nil {
		return binaries{psql: p}, nil
	}
	b, err := findServer(path, libs)
	if err != nil {
		return binaries{}, fmt.Errorf("%w: no psql in PATH or %s", ErrNoBinaries, libs)
	}
	return binaries{psql: b.psql}, nil
}

// lookPath is exec.LookPath in the directories of path.
func lookPath(name, path string) (string, error) {
	for _, d := range filepath.SplitList(path) {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// majorVersion reads the version from a directory such as
// /usr/lib/postgresql/15/bin, 0 when it has none.
func majorVersion(dir string) int {
	v := filepath.Base(filepath.Dir(dir))
	v, _, _ = strings.Cut(v, ".")
	n, _ := strconv.Atoi(v)
	return n
}

// process is a running server.
type process struct {
	bins binaries
	dir  string // temporary: the cluster, removed by close
	port int
	logs *childproc.Log

	owner   *account // who runs the server; nil: the current user
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd.Wait has returned
	err     error         // cmd.Wait's result, set before exited is closed
	stopped bool          // by Stop: exited is closed, and no error

	closeOnce sync.Once
	closeErr  error
}

// startServer creates a cluster in a new temporary directory and starts
// postgres on it.
func startServer(bins binaries) (*process, error) {
	owner, err := serverAccount()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %v", err)
	}
	if owner != nil {
		if err := os.Chown(dir, int(owner.uid), int(owner.gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: giving the data directory to the server's account: %v", err)
		}
	}
	p := &process{bins: bins, dir: dir, logs: childproc.NewLog("postgres"), owner: owner}
	if err := p.initdb(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		err = p.start()
		if err == nil {
			return p, nil
		}
		if attempt == portAttempts || !strings.Contains(p.logs.String(), "Address already in use") {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// data is the cluster's directory, which initdb creates.
func (p *process) data() string { return filepath.Join(p.dir, "data") }

func (p *process) initdb() error {
	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bins.initdb, "-D", p.data(), "-U", superuser, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.Dir = p.dir // the account may not be allowed into the working directory
	cmd.SysProcAttr = sysProcAttr(p.owner)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %v\n%s", err, bytes.TrimSpace(out))
	}
	return nil
}

// start runs postgres on a free loopback port and waits until it answers.
func (p *process) start() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	p.port = port
	return p.run()
}

// run runs postgres on p.port and waits until it answers.
func (p *process) run() error {
	p.cmd = exec.Command(p.bins.postgres, "-D", p.data(),
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.port),
		"-c", "unix_socket_directories=", // TCP on loopback only
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	p.cmd.Dir = p.dir
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = sysProcAttr(p.owner)
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: starting postgres: %v", err)
	}
	p.exited = make(chan struct{})
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(); err != nil {
		p.kill()
		return err
	}
	return nil
}

// waitReady polls the server with psql until it answers, it exits, or
// readyTimeout passes.
func (p *process) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for {
		_, err := p.bins.run(context.Background(), p.url(superuser), "SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("pgtest: postgres exited on start: %v\n%s", p.err, p.logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres did not answer within %v: %v\n%s", readyTimeout, err, p.logs)
		}
	}
}

// url is the connection URL of database db as the superuser.
func (p *process) url(db string) string {
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)),
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// kill ends the server with SIGKILL and waits for it.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// close stops the server with a fast shutdown (SIGINT: open connections
// are ended, not waited for), or SIGKILL after stopTimeout, and removes
// its directory.
func (p *process) close() error {
	p.closeOnce.Do(func() {
		var err error
		select {
		case <-p.exited:
			if !p.stopped {
				err = fmt.Errorf("pgtest: postgres had exited: %v\n%s", p.err, p.logs)
			}
		default:
			err = p.stop()
		}
		p.closeErr = errors.Join(err, os.RemoveAll(p.dir))
	})
	return p.closeErr
}

// stop ends the server with a fast shutdown, or SIGKILL after
// stopTimeout, and keeps its directory.
func (p *process) stop() error {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
		p.kill()
		return fmt.Errorf("pgtest: postgres was still running %v after SIGINT; killed it\n%s", stopTimeout, p.logs)
	}
}

// run runs sql with psql in the database that conn (a postgres:// URL)
// names and returns what it printed, unaligned, without headers. A
// password in conn goes to psql in its environment, not its arguments,
// which other users of the machine can read.
func (b binaries) run(ctx context.Context, conn, sql string) (string, error) {
	u, err := url.Parse(conn)
	if err != nil {
		return "", fmt.Errorf("pgtest: unparsable connection URL: %v", err)
	}
	env := append(os.Environ(), "PGCONNECT_TIMEOUT=5")
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	ctx, cancel := context.WithTimeout(ctx, psqlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", u.String(), "-c", sql)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pgtest: psql: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(stdout.String()), nil
}
