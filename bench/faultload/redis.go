package main

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

// redistest, which starts redis-server for redisstore's tests, is internal
// to the redisstore module and takes a testing.TB; this is the part of it
// the harness needs: one server it can kill and restart.

// redisReadyTimeout bounds the wait for a started redis-server to answer.
const redisReadyTimeout = 10 * time.Second

// errNoRedis reports that redis-server is not installed.
var errNoRedis = errors.New("redis-server not found: install the Debian package redis-server")

// redisServer is a redis-server child process on a fixed loopback port that
// writes every change to its append-only file before it answers, so that a
// restart after Kill finds every acknowledged write, as a durable
// deployment would.
type redisServer struct {
	addr string
	dir  string
	logs *childproc.Log
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd.Wait has returned
}

var _ crasher = (*redisServer)(nil)

// startRedis starts redis-server on a free loopback port with its files in
// a new temporary directory.
func startRedis() (*redisServer, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errNoRedis
	}
	dir, err := os.MkdirTemp("", "faultload-redis-")
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
	s := &redisServer{addr: addr, dir: dir, logs: childproc.NewLog("redis-server")}
	if err := s.Restart(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Restart starts the server on its port and directory and waits until it
// answers PING.
func (s *redisServer) Restart() error {
	if s.done != nil {
		select {
		case <-s.done:
		default:
			return errors.New("restart of a running redis-server")
		}
	}
	_, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--daemonize", "no", "--logfile", "", "--loglevel", "warning",
		"--save", "", "--appendonly", "yes", "--appendfsync", "always")
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = childproc.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(redisReadyTimeout)
	for ping(s.addr) != nil {
		select {
		case <-done:
			return fmt.Errorf("redis-server on %s exited at start\n%s", s.addr, s.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on %s did not answer within %v\n%s", s.addr, redisReadyTimeout, s.logs)
		}
	}
	return nil
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *redisServer) Kill() error {
	select {
	case <-s.done:
		return fmt.Errorf("redis-server on %s had already exited\n%s", s.addr, s.logs)
	default:
	}
	s.cmd.Process.Kill()
	<-s.done
	return nil
}

// Close kills the server if it runs and removes its directory.
func (s *redisServer) Close() error {
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
