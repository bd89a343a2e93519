// Command devmongo runs a MongoDB-compatible server (FerretDB with SQLite,
// or with PostgreSQL) on a loopback address for development and tests.
//
// Usage:
//
//	devmongo [-addr 127.0.0.1:27017] [-dir DIR | -postgresql-url URL] [-log-level error]
//
// It prints the MongoDB URI as the first line of standard output, then
// serves until SIGINT or SIGTERM, and exits 0 after a clean shutdown. Logs go
// to standard error.
//
// Flags:
//
//	-addr       loopback host:port to listen on; port 0 picks a free port
//	            (default 127.0.0.1:27017)
//	-dir        directory for the SQLite databases, kept on exit
//	            (default: a temporary directory, removed on exit)
//	-postgresql-url
//	            keep the data in this PostgreSQL database instead of SQLite
//	            (postgres://user@host:5432/db); the command line is visible
//	            to other users of the machine, so give a password in
//	            PGPASSWORD or ~/.pgpass rather than in the URL
//	-log-level  FerretDB log level: debug, info, warn or error (default
//	            error; warn logs every command FerretDB refuses)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sessionseal/session/devmongo"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:27017", "loopback `host:port` to listen on; port 0 picks a free port")
	dir := flag.String("dir", "", "`directory` for the SQLite databases, kept on exit (default: a temporary directory, removed on exit)")
	pgURL := flag.String("postgresql-url", "", "keep the data in this PostgreSQL database instead of SQLite (`URL` postgres://user@host:5432/db; "+
		"a password goes in PGPASSWORD or ~/.pgpass, since other users can read command lines)")
	var level slog.Level = slog.LevelError
	flag.TextVar(&level, "log-level", level, "FerretDB log `level`: debug, info, warn or error")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "devmongo: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	if err := run(devmongo.Options{Addr: *addr, Dir: *dir, PostgreSQLURL: *pgURL}, level); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(opts devmongo.Options, level slog.Level) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := devmongo.Start(ctx, opts)
	if err != nil {
		return err
	}
	// The URI is the first line of standard output: scripts and the test
	// helpers read it to learn the port.
	if _, err := fmt.Println(srv.URI()); err != nil {
		srv.Close()
		return fmt.Errorf("devmongo: %w", err)
	}
	<-ctx.Done()
	opts.Logger.Info("devmongo: shutting down")
	return srv.Close()
}
