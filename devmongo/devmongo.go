package devmongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
)

// Options configure Start. The zero value is ready to use.
type Options struct {
	// Addr is the TCP address to listen on, host:port. The host must be a
	// loopback IP address or "localhost"; port 0 picks a free port.
	// Default "127.0.0.1:0".
	Addr string

	// Dir is the directory that holds the SQLite databases; it is created
	// when missing and kept on Close, so that data outlives the server.
	// Default: a new temporary directory, removed on Close. Leave it unset
	// when PostgreSQLURL is set.
	Dir string

	// PostgreSQLURL, when set, keeps the data in PostgreSQL instead of
	// SQLite files, through FerretDB's postgresql backend: a connection URL
	// such as "postgres://user@127.0.0.1:5432/ferretdb". The database it
	// names must exist; FerretDB keeps each MongoDB database in a schema of
	// it, and the data outlives the server. Start checks that PostgreSQL
	// answers. A password may be in the URL, or, as for any PostgreSQL
	// client, in PGPASSWORD or ~/.pgpass. Default "": SQLite, in Dir.
	//
	// FerretDB pushes more of a query down to PostgreSQL than to SQLite,
	// which scans a collection for any filter other than one on _id alone:
	// use it to see how a workload behaves as collections grow.
	PostgreSQLURL string

	// Logger receives FerretDB's logs. FerretDB logs every command it
	// refuses at WARN, so pass a handler with a level of ERROR unless those
	// are wanted. Default: discard everything.
	Logger *slog.Logger
}

// Server is a running FerretDB server. Its methods are safe for concurrent
// use.
type Server struct {
	uri    string
	addr   string
	tmpDir string // removed on Close; empty when the caller chose Dir

	cancel context.CancelFunc
	done   chan struct{} // closed when FerretDB's Run returns

	closeOnce sync.Once
	closeErr  error
}

// Start starts a server and returns once it accepts connections. ctx bounds
// the start only; the server runs until Close.
func Start(ctx context.Context, opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	port, err := checkLoopback(addr)
	if err != nil {
		return nil, err
	}
	if opts.PostgreSQLURL != "" && opts.Dir != "" {
		return nil, errors.New("devmongo: both Dir and PostgreSQLURL are set; the data is in one or the other")
	}
	if port != "0" {
		// FerretDB opens the SQLite backend before it listens and leaks it
		// when the address is taken; probing first avoids that in the
		// common case (another server on the port) and gives a plain error.
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("devmongo: %w", err)
		}
		l.Close()
	}
	cfg := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: addr}, Logger: opts.Logger}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PostgreSQLURL != "" {
		// FerretDB connects on the first command; a server that cannot be
		// reached is better reported here.
		if err := pingPostgreSQL(ctx, opts.PostgreSQLURL); err != nil {
			return nil, err
		}
		cfg.Handler, cfg.PostgreSQLURL = "postgresql", opts.PostgreSQLURL
		return start(ctx, cfg, "")
	}

	dir, tmpDir := opts.Dir, ""
	if dir == "" {
		d, err := os.MkdirTemp("", "devmongo-")
		if err != nil {
			return nil, fmt.Errorf("devmongo: %w", err)
		}
		dir, tmpDir = d, d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("devmongo: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		os.RemoveAll(tmpDir)
		return nil, fmt.Errorf("devmongo: %w", err)
	}
	// FerretDB wants a file: URI naming an existing directory, with a
	// trailing slash; url.URL escapes unusual characters in the path.
	// FerretDB puts SQLite in WAL mode; synchronous=NORMAL then syncs the
	// disk at checkpoints rather than at every commit. A crash of the
	// machine (not of the process) can lose the last commits, never
	// corrupt the database: the trade a development server wants, since
	// every write of a session otherwise waits for the disk, one at a time.
	sqliteURL := &url.URL{Scheme: "file", Path: filepath.ToSlash(abs) + "/", OmitHost: true,
		RawQuery: url.Values{"_pragma": {"synchronous(normal)"}}.Encode()}
	cfg.Handler, cfg.SQLiteURL = "sqlite", sqliteURL.String()
	s, err := start(ctx, cfg, tmpDir)
	if err != nil {
		os.RemoveAll(tmpDir)
	}
	return s, err
}

// start runs FerretDB with cfg until Close, which removes tmpDir unless it
// is "".
func start(ctx context.Context, cfg *ferretdb.Config, tmpDir string) (*Server, error) {
	// New binds the listener and opens the backend, so a failure to listen
	// or to open the directory is reported here rather than by Run.
	f, err := ferretdb.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("devmongo: %w", err)
	}
	s := &Server{tmpDir: tmpDir, done: make(chan struct{})}
	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		defer close(s.done)
		// Run only returns nil, once runCtx is cancelled.
		_ = f.Run(runCtx)
	}()

	s.uri = f.MongoDBURI()
	u, err := url.Parse(s.uri)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("devmongo: FerretDB gave an unparsable URI: %v", err)
	}
	s.addr = u.Host

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("devmongo: server does not accept connections: %w", err)
	}
	conn.Close()
	return s, nil
}

// pingPostgreSQL connects to the database that url names and pings it.
// pgx's errors name the host, user and database, never the password.
func pingPostgreSQL(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("devmongo: PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("devmongo: PostgreSQL: %w", err)
	}
	return nil
}

// checkLoopback refuses an address that other machines could reach, since
// the server has no authentication, and returns its port.
func checkLoopback(addr string) (port string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("devmongo: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("devmongo: address %q is not a loopback address; the server has no authentication", addr)
	}
	return port, nil
}

// URI returns the MongoDB connection string, such as
// "mongodb://127.0.0.1:27017/", with the real port when Options.Addr asked
// for port 0.
func (s *Server) URI() string { return s.uri }

// Addr returns the address the server listens on, host:port.
func (s *Server) Addr() string { return s.addr }

// Close stops the server and waits until it has closed its connections and
// its databases. Clients still connected are given up to three seconds
// (FerretDB's grace period) before their connections are closed. Close
// removes Dir when Start created it. Calls after the first return the same
// result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		if s.tmpDir != "" {
			if err := os.RemoveAll(s.tmpDir); err != nil {
				s.closeErr = fmt.Errorf("devmongo: %w", err)
			}
		}
	})
	return s.closeErr
}

func (s *Server) stop() {
	s.cancel()
	<-s.done
}
