// Package demo holds what the framework and metrics examples share, so that
// each of them shows only its own wiring: the command line that serves it,
// the Manager they all use, and the cart they keep in the session.
package demo

import (
	"flag"
	"log"
	"net/http"
	"strings"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// Serve runs an example from main: it parses -addr (default
// 127.0.0.1:8080), generates a key ring in memory, builds the handler with
// it and serves it, logging the URLs of paths. It returns only to exit. H
// lets newHandler return its framework's own type (*echo.Echo,
// *gin.Engine), so that main passes it as it is.
func Serve[H http.Handler](name string, newHandler func(*keyrotation.Keyring) (H, error), paths ...string) {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	h, err := newHandler(keys)
	if err != nil {
		log.Fatal(err)
	}
	urls := make([]string, len(paths))
	for i, p := range paths {
		urls[i] = "http://" + *addr + p
	}
	log.Printf("%s example listening on %s", name, strings.Join(urls, " and "))
	log.Fatal(http.ListenAndServe(*addr, h))
}

// NewManager returns the Manager of the examples: sessions sealed under keys
// in a cookie named "session", sent over plain HTTP (the examples listen on
// loopback only), with opts for the rest.
func NewManager(keys *keyrotation.Keyring, opts session.Options) (*session.Manager, error) {
	store, err := cookiestore.New(keys)
	if err != nil {
		return nil, err
	}
	opts.Cookie.Name, opts.Cookie.AllowInsecureHTTP = "session", true
	return session.NewManager(store, opts)
}

// Cart returns the cart kept in the session, quantities by SKU: an empty
// map, never nil, when there is none.
func Cart(s *session.Session) (map[string]int, error) {
	cart, _, err := session.Value[map[string]int](s, "cart")
	if cart == nil {
		cart = map[string]int{}
	}
	return cart, err
}
