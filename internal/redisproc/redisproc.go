// Package redisproc runs redis-server as a child process on a free loopback
// port, for the programs and tests outside the redisstore module that need
// a real server: the fault harness and the benchmarks in bench, and the
// demo shop's tests in examples. redisstore's own tests use its
// internal/redistest, which Go's internal rule keeps from the others.
//
// The process does not outlive its parent on Linux: the kernel kills it if
// the parent dies first (see internal/childproc).
package redisproc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"

	"github.com/sessionseal/session/internal/childproc"
)

// readyTimeout bounds the wait for a started redis-server to answer.
const readyTimeout = 10 * time.Second

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
}

// Server is a redis-server child process on a fixed loopback port.
type Server struct {
	addr string
	dir  string
	args []string
	logs *childproc.Log
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait has returned
}

// Start starts redis-server on a free loopback port with its files in a new
// temporary directory, and waits until it answers PING. The error matches
// ErrNotInstalled when redis-server is not installed.
func Start(opts Options) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, ErrNotInstalled
	}
	dir, err := os.MkdirTemp("", "redisproc-")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	persistence := []string{"--appendonly", "no"}
	if opts.Durable {
		persistence = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	s := &Server{addr: addr, dir: dir, logs: childproc.NewLog("redis-server"),
		args: append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", dir,
			"--daemonize", "no", "--logfile", "", "--loglevel", "warning", "--save", ""}, persistence...)}
	if err := s.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Addr returns the server's address, host:port.
func (s *Server) Addr() string { return s.addr }

// Restart starts the server on its port and directory and waits until it
// answers PING. Start calls it first; later it restarts a server that Kill
// ended.
func (s *Server) Restart() error {
	if s.done != nil {
		select {
		case <-s.done:
		default:
			return errors.New("redisproc: restart of a running redis-server")
		}
	}
	cmd := exec.Command("redis-server", s.args...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = childproc.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisproc: starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(readyTimeout)
	for ping(s.addr) != nil {
		select {
		case <-done:
			return fmt.Errorf("redisproc: redis-server on %s exited at start\n%s", s.addr, s.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redisproc: redis-server on %s did not answer within %v\n%s", s.addr, readyTimeout, s.logs)
		}
	}
	return nil
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() error {
	select {
	case <-s.done:
		return fmt.Errorf("redisproc: redis-server on %s had already exited\n%s", s.addr, s.logs)
	default:
	}
	s.cmd.Process.Kill()
	<-s.done
	return nil
}

// Close kills the server if it runs and removes its directory.
func (s *Server) Close() error {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Kill()
		<-s.done
	}
	return os.RemoveAll(s.dir)
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
