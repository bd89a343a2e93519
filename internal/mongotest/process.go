package mongotest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sessionseal/session/internal/childproc"
)

const (
	// buildTimeout bounds go build of devmongo; a first build downloads
	// and compiles FerretDB, about a minute on a small machine.
	buildTimeout = 10 * time.Minute

	// startTimeout bounds the wait for the URI line of a started process.
	startTimeout = time.Minute

	// stopTimeout bounds a clean shutdown after SIGTERM. FerretDB gives
	// open client connections three seconds before it closes them.
	stopTimeout = 15 * time.Second

	// binaryMaxAge is how long a cached devmongo binary for other sources
	// is kept after its last use.
	binaryMaxAge = 7 * 24 * time.Hour
)

// process is a devmongo subprocess and what it takes to restart it.
type process struct {
	bin  string
	dir  string         // the SQLite data directory, kept across restarts; "" over PostgreSQL
	pg   string         // devmongo's -postgresql-url, or "" for SQLite
	logs *childproc.Log // stderr of every run, shown when one fails

	mu      sync.Mutex
	addr    string // host:port of the first run; restarts listen there
	cur     *run
	stopped bool // Stop ended cur on purpose
}

// run is one execution of the devmongo binary.
type run struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait has returned
	err    error         // cmd.Wait's result, set before exited is closed
}

// startDevmongo builds devmongo and starts it on a free loopback port:
// with a new SQLite data directory, or over the PostgreSQL database that
// pg names when it is not "".
func startDevmongo(pg string) (*process, string, error) {
	bin, err := buildDevmongo()
	if err != nil {
		return nil, "", err
	}
	p := &process{bin: bin, pg: pg, logs: childproc.NewLog("devmongo")}
	if pg == "" {
		if p.dir, err = os.MkdirTemp("", "mongotest-"); err != nil {
			return nil, "", err
		}
	}
	uri, err := p.start("127.0.0.1:0")
	if err != nil {
		p.removeDir()
		return nil, "", err
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		p.close()
		return nil, "", fmt.Errorf("devmongo printed %q, want a mongodb:// URI", uri)
	}
	p.addr = u.Host
	return p, uri, nil
}

// start runs the binary on addr and returns the URI it prints.
func (p *process) start(addr string) (string, error) {
	uriLine := make(chan string, 1)
	args := []string{"-addr", addr, "-dir", p.dir}
	if p.pg != "" {
		args = []string{"-addr", addr, "-postgresql-url", p.pg}
	}
	cmd := exec.Command(p.bin, args...)
	cmd.Stdout = &firstLineWriter{line: uriLine, rest: p.logs}
	cmd.Stderr = p.logs
	cmd.SysProcAttr = childproc.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting devmongo: %v", err)
	}
	r := &run{cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case uri := <-uriLine:
		p.mu.Lock()
		p.cur, p.stopped = r, false
		p.mu.Unlock()
		return uri, nil
	case <-r.exited:
		return "", fmt.Errorf("devmongo -addr %s exited before printing its URI: %v\n%s", addr, r.err, p.logs)
	case <-timer.C:
		cmd.Process.Kill()
		<-r.exited
		return "", fmt.Errorf("devmongo -addr %s printed no URI within %v\n%s", addr, startTimeout, p.logs)
	}
}

// restart starts the binary again on the first run's address.
func (p *process) restart() error {
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	uri, err := p.start(addr)
	if err != nil {
		return err
	}
	if want := "mongodb://" + addr + "/"; uri != want {
		return fmt.Errorf("restarted devmongo printed %q, want %q", uri, want)
	}
	return nil
}

// stop ends the current run with SIGTERM, or with SIGKILL when it has not
// exited stopTimeout later.
func (p *process) stop() error { return p.end(stopTimeout) }

// kill ends the current run with SIGKILL and waits for it.
func (p *process) kill() error { return p.end(0) }

// end ends the current run: with SIGTERM and then, when it has not exited
// grace later, SIGKILL; with SIGKILL at once when grace is 0.
func (p *process) end(grace time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	p.stopped = true
	r := p.cur
	select {
	case <-r.exited:
		return fmt.Errorf("devmongo had already exited: %v\n%s", r.err, p.logs)
	default:
	}
	killed, err := childproc.Stop(r.cmd, r.exited, grace)
	switch {
	case err != nil:
		return fmt.Errorf("stopping devmongo: %v", err)
	case killed:
		return fmt.Errorf("devmongo was still running %v after SIGTERM; killed it\n%s", grace, p.logs)
	case grace != 0 && r.err != nil:
		return fmt.Errorf("devmongo after SIGTERM: %v\n%s", r.err, p.logs)
	}
	return nil
}

func (p *process) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// crashed reports a run that ended without stop.
func (p *process) crashed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	select {
	case <-p.cur.exited:
		return fmt.Errorf("devmongo exited unexpectedly: %v\n%s", p.cur.err, p.logs)
	default:
		return nil
	}
}

// close stops the process and removes its data directory.
func (p *process) close() error {
	return errors.Join(p.stop(), p.removeDir())
}

// removeDir removes the SQLite data directory, if there is one.
func (p *process) removeDir() error {
	if p.dir == "" {
		return nil
	}
	return os.RemoveAll(p.dir)
}

// buildDevmongo returns the path of a devmongo binary built from the
// repository's devmongo module. Binaries are cached under
// os.UserCacheDir()/sessionseal by a hash of that module's sources, so a
// binary is built once per change; concurrent test binaries that both
// build rename complete files into place and never see a partial one.
func buildDevmongo() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, "devmongo")
	sum, err := hashSources(src)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "sessionseal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "devmongo-"+sum)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		// A fresh modification time keeps pruneBinaries away from it.
		now := time.Now()
		os.Chtimes(bin, now, now)
		return bin, nil
	}

	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out := filepath.Join(tmp, "devmongo")
	build := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/devmongo")
	build.Dir = src
	if output, err := build.CombinedOutput(); err != nil {
		if output = bytes.TrimSpace(output); len(output) > 0 {
			return "", fmt.Errorf("go build ./cmd/devmongo in %s: %v\n%s", src, err, output)
		}
		return "", fmt.Errorf("go build ./cmd/devmongo in %s: %v", src, err)
	}
	if err := os.Rename(out, bin); err != nil {
		return "", err
	}
	pruneBinaries(dir, bin)
	return bin, nil
}

// pruneBinaries removes the cached binaries of other sources that were not
// used for binaryMaxAge.
func pruneBinaries(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if path == keep || !strings.HasPrefix(e.Name(), "devmongo-") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > binaryMaxAge {
			os.Remove(path)
		}
	}
}

// repoRoot returns the nearest directory at or above the working
// directory (go test runs tests in their package's directory) that holds
// devmongo/go.mod.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "devmongo", "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no devmongo/go.mod in %s or above it", wd)
		}
	}
}

// hashSources returns a hex SHA-256 prefix over the names and contents of
// the devmongo module's go.mod, go.sum and non-test Go files.
func hashSources(src string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != src && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if name != "go.mod" && name != "go.sum" && (!strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing devmongo's sources: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// firstLineWriter sends the first line written to it (devmongo's URI) on
// line and passes everything after it to rest. exec.Cmd calls Write from
// one goroutine.
type firstLineWriter struct {
	line chan<- string // buffered, receives one value
	rest io.Writer
	buf  []byte
	sent bool
}

func (w *firstLineWriter) Write(b []byte) (int, error) {
	if w.sent {
		return w.rest.Write(b)
	}
	w.buf = append(w.buf, b...)
	i := bytes.IndexByte(w.buf, '\n')
	if i < 0 {
		return len(b), nil
	}
	w.sent = true
	w.line <- strings.TrimSpace(string(w.buf[:i]))
	if _, err := w.rest.Write(w.buf[i+1:]); err != nil {
		return 0, err
	}
	return len(b), nil
}
