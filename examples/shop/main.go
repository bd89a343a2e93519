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
	"syscall"
	"time"

	"github.com/sessionseal/session/devmongo"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address; the shop serves plain HTTP, so keep it on loopback")
	keysPath := flag.String("keys", "", "key ring file, created with one new key when missing (default "+defaultKeysPath()+")")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *keysPath); err != nil {
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

// run serves the shop on addr until ctx is done, then shuts it down: the HTTP
// server, the stores and devmongo, in that order.
func run(ctx context.Context, addr, keysPath string) error {
	if keysPath == "" {
		keysPath = defaultKeysPath()
	}
	uri, where := os.Getenv("MONGODB_URI"), "the server that MONGODB_URI names" // its URI may hold a password
	if uri == "" {
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
		uri = dev.URI()
		where = "devmongo at " + uri
	}
	sh, err := newShop(ctx, config{KeysPath: keysPath, MongoURI: uri})
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
	log.Printf("shop: sessions in %s, database %q; key ring %s (primary key %d)",
		where, defaultDatabase, keysPath, sh.keys.Keys()[0].ID)
	log.Printf("shop: rotate keys live with: go run github.com/sessionseal/session/cmd/sessionkeys add %s", keysPath)

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
