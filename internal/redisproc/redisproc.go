// Package redisproc runs redis-server as a child process on a free loopback
// port. It is the one place that starts, stops, kills, signals and restarts
// redis-server: the fault harness and the benchmarks in bench, the demo
// shop's tests in examples, and redisstore's internal/redistest, which
// builds its single server and its cluster on it, use it.
//
// A server keeps its files in a temporary directory of its own, which
// Close removes. It stops with SIGTERM and, when that goes unheeded,
// SIGKILL (see internal/childproc), and does not outlive its parent on
// Linux: the kernel kills it if the parent dies first.
package redisproc

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/sessionseal/session/internal/childproc"
)

const (
	// readyTimeout bounds the wait for a started redis-server to answer.
	readyTimeout = 10 * time.Second

	// stopTimeout bounds a clean shutdown after SIGTERM.
	stopTimeout = 10 * time.Second

	// portAttempts bounds the tries at a free port: another process may
	// take the one found before the server binds it.
	portAttempts = 5
)

// ErrNotInstalled reports that redis-server is not installed.
var ErrNotInstalled = errors.New("redisproc: redis-server not found: install the Debian package redis-server")

// Options sets up a server. The zero value is a server that keeps nothing
// on disk.
type Options struct {
	// Durable makes the server write every change to its append-only file
	// and sync it before it answers, so that a restart after Kill finds
	// every acknowledged write, as a durable deployment would. Off by
	// default: the server keeps its data in memory only, which is what
	// benchmarks that compare backends without disk syncs want.
	Durable bool

	// Args are further redis-server arguments, given after the package's
	// own (port, address, directory, logging, persistence), for example
	// those that make the server a cluster node. Default none.
	Args []string
}

// Server is a redis-server child process on a fixed loopback port. Its
// methods are safe for concurrent use.
type Server struct {
	addr string
	dir  string
	args []string
	logs *childproc.Log

	mu      sync.Mutex
	cur     *run
	stopped bool // Stop or Kill ended cur on purpose
}

// run is one execution of redis-server.
type run struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait has returned
	err    error         // cmd.Wait's result, set before exited is closed
}

// Start starts redis-server on a free loopback port whose cluster bus port
// (10000 above it) is free too, with its files in a new temporary
// directory, and waits until it answers PING. The error matches
// ErrNotInstalled when redis-server is not installed.
func Start(opts Options) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, ErrNotInstalled
	}
	dir, err := os.MkdirTemp("", "redisproc-")
	if err != nil {
		return nil, err
	}
	persistence := []string{"--appendonly", "no"}
	if opts.Durable {
		persistence = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	for range portAttempts {
		port := strconv.Itoa(freePort())
		args := []string{"--port", port, "--bind", "127.0.0.1", "--dir", dir,
			"--daemonize", "no", "--logfile", "", "--loglevel", "warning", "--save", ""}
		args = append(append(args, persistence...), opts.Args...)
		s := &Server{addr: net.JoinHostPort("127.0.0.1", port), dir: dir, args: args,
			logs: childproc.NewLog("redis-server")}
		if err = s.start(); err == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

// freePort returns a loopback port that, and the port 10000 above it, could
// be listened on a moment ago.
func freePort() int {
	for {
		port := 20000 + rand.IntN(35000)
		a, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return port
	}
}

// Addr returns the server's address, host:port, which a restart keeps.
func (s *Server) Addr() string { return s.addr }

// start runs redis-server and waits until it answers PING.
func (s *Server) start() error {
	cmd := exec.Command("redis-server", s.args...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = childproc.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisproc: starting redis-server: %v", err)
	}
	r := &run{cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	deadline := time.Now().Add(readyTimeout)
	for ping(s.addr) != nil {
		select {
		case <-r.exited:
			return fmt.Errorf("redisproc: redis-server on %s exited at start: %v\n%s", s.addr, r.err, s.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-r.exited
			return fmt.Errorf("redisproc: redis-server on %s did not answer within %v\n%s", s.addr, readyTimeout, s.logs)
		}
	}
	s.mu.Lock()
	s.cur, s.stopped = r, false
	s.mu.Unlock()
	return nil
}

// Restart starts the server again on its port and directory and waits
// until it answers PING, after Stop, Kill or a crash.
func (s *Server) Restart() error {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	select {
	case <-r.exited:
	default:
		return errors.New("redisproc: restart of a running redis-server")
	}
	return s.start()
}

// Stop ends the server with SIGTERM, and with SIGKILL when it has not
// exited 10 seconds later, which it reports as an error. A paused
// (SIGSTOP) server must be continued first to take SIGTERM. Stopping a
// stopped server does nothing.
func (s *Server) Stop() error { return s.end(stopTimeout) }

// Kill ends the server with SIGKILL, as a crash would. Killing a stopped
// server does nothing.
func (s *Server) Kill() error { return s.end(0) }

// end ends the current run: with SIGTERM and then, when it has not exited
// grace later, SIGKILL; with SIGKILL at once when grace is 0.
func (s *Server) end(grace time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	r := s.cur
	select {
	case <-r.exited:
		return fmt.Errorf("redisproc: redis-server on %s had already exited: %v\n%s", s.addr, r.err, s.logs)
	default:
	}
	killed, err := childproc.Stop(r.cmd, r.exited, grace)
	switch {
	case err != nil:
		return fmt.Errorf("redisproc: stopping redis-server: %v", err)
	case killed:
		return fmt.Errorf("redisproc: redis-server on %s was still running %v after SIGTERM; killed it\n%s", s.addr, grace, s.logs)
	}
	return nil
}

// Signal sends sig to the running server, for example SIGSTOP to make it
// stop answering while its port still accepts connections.
func (s *Server) Signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("redisproc: signal to a stopped redis-server")
	}
	return s.cur.cmd.Process.Signal(sig)
}

// Crashed reports, as an error with the server's output, a run that ended
// without Stop or Kill; nil while the server runs or after Stop or Kill.
func (s *Server) Crashed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	select {
	case <-s.cur.exited:
		return fmt.Errorf("redisproc: redis-server on %s exited unexpectedly: %v\n%s", s.addr, s.cur.err, s.logs)
	default:
		return nil
	}
}

// Close stops the server if it runs, as Stop does, and removes its
// directory.
func (s *Server) Close() error {
	return errors.Join(s.Stop(), os.RemoveAll(s.dir))
}

// ping sends PING to addr and checks for PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}
