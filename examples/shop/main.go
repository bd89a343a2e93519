package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sessionseal/session/devmongo"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address; the shop serves plain HTTP, so keep it on loopback")
	keysPath := flag.String("keys", "", "key ring file, created with one new key when missing (default "+defaultKeysPath()+")")
	var cfg config
	parseStoreFlags(flag.CommandLine, &cfg, os.Getenv)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.KeysPath = *keysPath
	if err := run(ctx, *addr, cfg); err != nil {
		log.Fatal(err)
	}
}

// defaultKeysPath is where the shop keeps its key ring unless told otherwise:
// in the user's cache directory, or the temporary directory without one.
func defaultKeysPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "sessionseal-shop", "keys.json")
}

// parseStoreFlags defines on fs the flags that choose the server store,
// with the URLs' defaults read through getenv (REDIS_URL, DATABASE_URL).
func parseStoreFlags(fs *flag.FlagSet, cfg *config, getenv func(string) string) {
	fs.StringVar(&cfg.Store, "store", "mongo", "server store for large carts: "+strings.Join(stores, ", ")+
		"; mongo uses MONGODB_URI or else starts devmongo, memory needs nothing")
	fs.StringVar(&cfg.RedisURL, "redis-url", getenv("REDIS_URL"), "Redis server for -store redis, redis://host:port/db (default $REDIS_URL)")
	fs.StringVar(&cfg.PostgresURL, "postgres-url", getenv("DATABASE_URL"), "PostgreSQL server for -store postgres, postgres://user@host:port/db (default $DATABASE_URL)")
}

// run serves the shop on addr until ctx is done, then shuts it down: the HTTP
// server, the stores and devmongo, in that order.
func run(ctx context.Context, addr string, cfg config) error {
	if cfg.KeysPath == "" {
		cfg.KeysPath = defaultKeysPath()
	}
	// The URLs may hold a password: the log names only the store.
	var where string
	switch cfg.Store {
	case "redis":
		where = "Redis (-redis-url)"
	case "postgres":
		where = "PostgreSQL (-postgres-url)"
	case "memory":
		where = "this process's memory, lost when it stops"
	default:
		cfg.MongoURI, where = os.Getenv("MONGODB_URI"), "the server that MONGODB_URI names"
		if cfg.MongoURI != "" {
			break
		}
		log.Print("shop: starting devmongo (FerretDB with SQLite) in this process; set MONGODB_URI to use a MongoDB server instead")
		dev, err := devmongo.Start(ctx, devmongo.Options{})
		if err != nil {
			return err
		}
		defer func() {
			if err := dev.Close(); err != nil {
				log.Printf("shop: closing devmongo: %v", err)
			}
		}()
		cfg.MongoURI = dev.URI()
		where = "devmongo at " + cfg.MongoURI
	}
	sh, err := newShop(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := sh.Close(closeCtx); err != nil {
			log.Printf("shop: closing the stores: %v", err)
		}
	}()
	log.Printf("shop: large sessions in %s; key ring %s (primary key %d)",
		where, cfg.KeysPath, sh.keys.Keys()[0].ID)
	log.Printf("shop: rotate keys live with: go run github.com/sessionseal/session/cmd/sessionkeys add %s", cfg.KeysPath)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sh.handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Printf("shop: open http://%s/ in a browser; Ctrl-C stops the shop", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Print("shop: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
