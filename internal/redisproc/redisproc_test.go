package redisproc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

// TestKillRestart checks that a durable server keeps an acknowledged write
// across a crash, and that Close leaves no directory behind.
func TestKillRestart(t *testing.T) {
	s, err := Start(Options{Durable: true})
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := send(s.Addr(), "SET k v\r\n", "+OK\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr()); err == nil {
		t.Fatal("the server answers after Kill")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := send(s.Addr(), "GET k\r\n", "$1\r\n"); err != nil {
		t.Errorf("after the restart: %v", err)
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart of a running server succeeded, want an error")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, stat of the directory: %v; want not found", err)
	}
}

// TestStopCrashed checks that a crash is reported until a restart, that
// Stop ends a server for good, and that Args reach the server.
func TestStopCrashed(t *testing.T) {
	s, err := Start(Options{Args: []string{"--databases", "1"}})
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := send(s.Addr(), "SELECT 1\r\n", "-ERR DB index is out of range\r\n"); err != nil {
		t.Errorf("with --databases 1: %v", err)
	}
	if err := s.Crashed(); err != nil {
		t.Fatalf("a running server: Crashed: %v", err)
	}
	if err := s.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(readyTimeout); s.Crashed() == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Crashed reports nothing after the server was killed behind its back")
		}
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart after a crash: %v", err)
	}
	if err := s.Crashed(); err != nil {
		t.Errorf("after the restart: Crashed: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr()); err == nil {
		t.Error("the server answers after Stop")
	}
	if err := s.Crashed(); err != nil {
		t.Errorf("after Stop: Crashed: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := s.Signal(os.Kill); err == nil {
		t.Error("Signal to a stopped server succeeded, want an error")
	}
}

// send sends an inline command to addr and checks the first line of the
// answer.
func send(addr, command, want string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(command)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != want {
		return fmt.Errorf("%q answered %q, want %q", command, line, want)
	}
	return nil
}
