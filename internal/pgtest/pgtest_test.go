package pgtest

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

// psql runs sql in the database that conn names, failing the test on error.
func psql(t *testing.T, conn, sql string) string {
	t.Helper()
	out, err := get(t).bins.run(t.Context(), conn, sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestURL(t *testing.T) {
	a, b := URL(t), URL(t)
	if a == b {
		t.Fatalf("two URL calls returned the same URL %q", a)
	}
	for _, conn := range []string{a, b} {
		u, err := url.Parse(conn)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^/testurl_[0-9a-f]{12}$`).MatchString(u.Path) {
			t.Errorf("database path %q, want /testurl_ and 12 hex digits", u.Path)
		}
		if got := psql(t, conn, "SELECT current_database()"); "/"+got != u.Path {
			t.Errorf("connected to database %q, want %q", got, u.Path[1:])
		}
	}
	psql(t, a, "CREATE TABLE t (n int); INSERT INTO t VALUES (1)")
	if got := psql(t, a, "SELECT n FROM t"); got != "1" {
		t.Errorf("read back %q, want 1", got)
	}
	if got := psql(t, b, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"); got != "0" {
		t.Errorf("the other database has %s tables named t, want 0", got)
	}
}

func TestDatabaseDroppedWhenTestEnds(t *testing.T) {
	var name string
	t.Run("sub", func(t *testing.T) {
		u, err := url.Parse(URL(t))
		if err != nil {
			t.Fatal(err)
		}
		name = u.Path[1:]
	})
	s := get(t)
	got := psql(t, s.admin, "SELECT count(*) FROM pg_database WHERE datname = '"+name+"'")
	if got != "0" {
		t.Errorf("database %s still exists after its test ended (count %s)", name, got)
	}
}

func TestDBNames(t *testing.T) {
	for _, name := range []string{
		"Sub/Test with spaces.and.dots$ and \"quotes\"",
		"a_very_long_subtest_name_that_goes_on_and_on_past_every_limit_there_is",
	} {
		t.Run(name, func(t *testing.T) {
			conn := URL(t)
			u, err := url.Parse(conn)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^/[a-z0-9_]{1,40}_[0-9a-f]{12}$`).MatchString(u.Path) {
				t.Errorf("database path %q, want at most 40 of [a-z0-9_], _ and 12 hex digits", u.Path)
			}
			psql(t, conn, "SELECT 1") // the server accepted the name
		})
	}
}

// TestOwnServer checks the server pgtest starts: loopback only, no Unix
// socket, and never root.
func TestOwnServer(t *testing.T) {
	s := get(t)
	if s.proc == nil {
		t.Skip("DATABASE_URL names the server")
	}
	if got := psql(t, s.admin, "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %q, want 127.0.0.1", got)
	}
	if got := psql(t, s.admin, "SHOW unix_socket_directories"); got != "" {
		t.Errorf("unix_socket_directories = %q, want none", got)
	}
	if runtime.GOOS != "linux" {
		return
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.proc.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	uid := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(status)
	if uid == nil || string(uid[1]) == "0" {
		t.Errorf("postgres runs as uid %q, want a user other than root", uid)
	}
}

// TestCloseStopsAndRemoves starts a second server and closes it: the
// process is gone and so is its directory.
func TestCloseStopsAndRemoves(t *testing.T) {
	bins, err := findServer(os.Getenv("PATH"), libDirs)
	if err != nil {
		unavailable(t, err)
	}
	p, err := startServer(bins)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bins.run(t.Context(), p.url("postgres"), "SELECT 1"); err != nil {
		p.close()
		t.Fatalf("the server does not answer: %v", err)
	}
	if err := p.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case <-p.exited:
	default:
		t.Error("postgres still runs after close")
	}
	if _, err := os.Stat(p.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory after close: %v, want it gone", err)
	}
	if err := p.close(); err != nil {
		t.Errorf("second close: %v, want the first's nil", err)
	}
}

func TestFindServer(t *testing.T) {
	exe := func(path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	lib := filepath.Join(root, "lib", "postgresql")
	for _, v := range []string{"9.6", "15", "13"} {
		for _, p := range []string{"initdb", "postgres", "psql"} {
			exe(filepath.Join(lib, v, "bin", p))
		}
	}
	// A PATH directory with symbolic links to one version, as Debian's
	// /usr/local/bin can have, and psql elsewhere in PATH.
	linked := filepath.Join(root, "linked")
	exe(filepath.Join(root, "v12", "initdb"))
	exe(filepath.Join(root, "v12", "postgres"))
	exe(filepath.Join(root, "clients", "psql"))
	if err := os.MkdirAll(linked, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"initdb", "postgres"} {
		if err := os.Symlink(filepath.Join(root, "v12", p), filepath.Join(linked, p)); err != nil {
			t.Fatal(err)
		}
	}
	libs := filepath.Join(lib, "*", "bin")
	clients := filepath.Join(root, "clients")
	empty := filepath.Join(root, "empty")
	list := func(dirs ...string) string { return strings.Join(dirs, string(os.PathListSeparator)) }

	for _, tc := range []struct {
		name, path, libs string
		want             binaries // zero: ErrNoBinaries
	}{
		{"PATH first, through the link", list(empty, linked, clients), libs, binaries{
			initdb: filepath.Join(root, "v12", "initdb"), postgres: filepath.Join(root, "v12", "postgres"),
			psql: filepath.Join(clients, "psql")}},
		{"newest library version", list(empty), libs, binaries{
			initdb: filepath.Join(lib, "15", "bin", "initdb"), postgres: filepath.Join(lib, "15", "bin", "postgres"),
			psql: filepath.Join(lib, "15", "bin", "psql")}},
		{"nothing", list(empty, clients), filepath.Join(empty, "*", "bin"), binaries{}},
		{"no psql anywhere", list(linked), filepath.Join(empty, "*", "bin"), binaries{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findServer(tc.path, tc.libs)
			if tc.want == (binaries{}) {
				if !errors.Is(err, ErrNoBinaries) {
					t.Errorf("got %+v, %v; want ErrNoBinaries", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}

	got, err := findPsql(list(empty, clients), libs)
	if want := filepath.Join(clients, "psql"); err != nil || got.psql != want {
		t.Errorf("findPsql: got %q, %v; want %q", got.psql, err, want)
	}
	if _, err := findPsql(list(empty), filepath.Join(empty, "*", "bin")); !errors.Is(err, ErrNoBinaries) {
		t.Errorf("findPsql without psql: got %v, want ErrNoBinaries", err)
	}
}

// recorder is a testing.TB that records a skip or a failure instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestMissingProgramsSkipOutsideCIOnly(t *testing.T) {
	for _, tc := range []struct {
		ci         string
		skip, fail bool
	}{
		{ci: "", skip: true},
		{ci: "true", fail: true},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			var r recorder
			unavailable(&r, ErrNoBinaries)
			if r.skipped != tc.skip || r.failed != tc.fail {
				t.Errorf("skipped %v, failed %v; want %v, %v", r.skipped, r.failed, tc.skip, tc.fail)
			}
			if !strings.Contains(r.msg, "package postgresql") {
				t.Errorf("message %q does not name the package postgresql", r.msg)
			}
		})
	}
}

// TestCommand runs cmd/pgserver as another module's tests do: the first
// line is a URL that works, and closing standard input stops the server.
func TestCommand(t *testing.T) {
	if _, err := findServer(os.Getenv("PATH"), libDirs); err != nil {
		unavailable(t, err)
	}
	bin := filepath.Join(t.TempDir(), "pgserver")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/pgserver").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	line, readErr := bufio.NewReader(stdout).ReadString('\n')
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill() // a no-op once it has exited
	if readErr != nil {
		stdin.Close()
		t.Fatalf("reading the URL: %v; stderr:\n%s", readErr, stderr.String())
	}
	conn := strings.TrimSpace(line)
	if !regexp.MustCompile(`^postgres://postgres@127\.0\.0\.1:\d+/postgres\?sslmode=disable$`).MatchString(conn) {
		t.Errorf("first line %q, want postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable", conn)
	}
	if got := psql(t, conn, "SELECT 1"); got != "1" {
		t.Errorf("SELECT 1 gave %q", got)
	}
	stdin.Close()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("pgserver after its input closed: %v, want exit status 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("pgserver still runs 20s after its input closed")
	}
	if _, err := get(t).bins.run(t.Context(), conn, "SELECT 1"); err == nil {
		t.Error("the server still answers after pgserver exited")
	}
}
