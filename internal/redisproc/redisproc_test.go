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
