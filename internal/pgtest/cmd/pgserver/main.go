// Command pgserver starts a throwaway PostgreSQL server as package pgtest
// does for tests (see its documentation: loopback only, trust
// authentication, no durability, run as the account postgres when started
// as root), for a shell or for the tests of another module, which cannot
// import pgtest's test helpers.
//
//	go run ./internal/pgtest/cmd/pgserver
//
// It prints the URL of the server's database postgres as the first line
// of standard output, then serves until its standard input is closed (so
// that a parent that dies takes the server with it), or until SIGINT or
// SIGTERM; then it stops the server and removes its data. It exits 3 when
// PostgreSQL is not installed, so that a caller can tell that from a
// failure, and 1 on any other error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sessionseal/session/internal/pgtest"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: pgserver (no arguments)")
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, pgtest.ErrNoBinaries) {
			os.Exit(3)
		}
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, url, err := pgtest.StartProcess()
	if err != nil {
		return err
	}
	if _, err := fmt.Println(url); err != nil {
		return errors.Join(fmt.Errorf("pgserver: %v", err), p.Close())
	}
	stdinClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	}
	return p.Close()
}
