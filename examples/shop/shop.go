package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

// defaultDatabase is the database of the "sessions" collection unless
// config.Database names another.
const defaultDatabase = "shop"

// cookieName is the session cookie's name. The shop serves plain HTTP on
// loopback, so it cannot use the default __Host- name, which needs Secure.
const cookieName = "shop"

// Limits on what a client can put in its session.
const (
	maxLines    = 100  // cart lines
	maxQty      = 99   // per line
	maxNote     = 200  // bytes of a line's note
	maxUserName = 64   // bytes of a user name
	maxForm     = 8192 // bytes of a form body
	// rememberFor is the idle timeout and the lifetime of a session logged
	// in with "remember me", and the Manager's MaxLifetime.
	rememberFor = 30 * 24 * time.Hour
)

// config says where the shop finds its keys and its database.
type config struct {
	// KeysPath is the key ring file. It is created, with one new key, when
	// missing.
	KeysPath string

	// Store names the server half of the hybrid store: "mongo", "redis",
	// "postgres" or "memory". Default "mongo".
	Store string

	// MongoURI is the MongoDB connection string, for Store "mongo".
	MongoURI string

	// RedisURL is the Redis server's URL (redis://host:port/db), for
	// Store "redis".
	RedisURL string

	// PostgresURL is the PostgreSQL connection URL, for Store "postgres".
	PostgresURL string

	// Database is the MongoDB database that holds the "sessions"
	// collection. Default defaultDatabase.
	Database string

	// WatchInterval is how often the key ring file is checked for a
	// rotation. Default two seconds.
	WatchInterval time.Duration

	// Now is the clock of the session manager, which gives the stores
	// the time of every call. Default time.Now.
	Now func() time.Time
}

// shop is the demo shop: its stores and its HTTP handler.
type shop struct {
	keys    *keyrotation.Keyring
	db      *database
	server  *serverstore.Store // the server half of the hybrid store
	store   *hybrid.Store
	m       *session.Manager
	now     func() time.Time // the Manager's clock
	handler http.Handler     // the pages behind the cross-origin check and the session middleware
	log     *slog.Logger
}

// newShop loads (or creates) the key ring, connects to the store and builds the
// shop's handler. ctx bounds the set-up and the key ring file's watcher: cancel
// it after Close.
func newShop(ctx context.Context, cfg config) (*shop, error) {
	if cfg.Database == "" {
		cfg.Database = defaultDatabase
	}
	if cfg.WatchInterval == 0 {
		cfg.WatchInterval = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sh := &shop{log: slog.Default()}
	if err := ensureKeyring(cfg.KeysPath); err != nil {
		return nil, err
	}
	keys, err := keyrotation.WatchFile(ctx, cfg.KeysPath, cfg.WatchInterval, func(err error) {
		sh.log.Error("shop: key ring file not reloaded", "path", cfg.KeysPath, "err", err)
	})
	if err != nil {
		return nil, err
	}
	sh.keys = keys
	if sh.db, err = openDatabase(ctx, cfg); err != nil {
		return nil, err
	}
	sh.server, err = serverstore.New(keys, sh.db.backend, serverstore.Options{})
	if err != nil {
		_ = sh.db.close(ctx)
		return nil, fmt.Errorf("shop: %w", err)
	}
	sh.store, err = hybrid.New(keys, sh.server, hybrid.Options{})
	if err != nil {
		_ = sh.Close(ctx)
		return nil, err
	}
	sh.now = cfg.Now
	sh.m, err = session.NewManager(sh.store, session.Options{
		Cookie:      session.CookieOptions{Name: cookieName, AllowInsecureHTTP: true},
		MaxLifetime: rememberFor,
		Now:         cfg.Now,
	})
	if err != nil {
		_ = sh.Close(ctx)
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", sh.home)
	mux.HandleFunc("GET /cart", sh.cart)
	mux.HandleFunc("GET /sessions", sh.sessions)
	mux.HandleFunc("POST /cart/add", sh.add)
	mux.HandleFunc("POST /cart/remove", sh.remove)
	mux.HandleFunc("POST /login", sh.login)
	mux.HandleFunc("POST /logout", sh.logout)
	mux.HandleFunc("POST /logout-everywhere", sh.logoutEverywhere)
	mux.HandleFunc("POST /sessions/revoke", sh.revoke)
	// The cross-origin check comes first: a refused request costs no
	// session load.
	sh.handler = crossOrigin(sh.m.Middleware(limitForm(mux)))
	return sh, nil
}

// Close stops the store's cleanup and disconnects from the database.
func (sh *shop) Close(ctx context.Context) error {
	return errors.Join(sh.server.Close(), sh.db.close(ctx))
}

// ensureKeyring writes a new key ring to path unless the file exists.
func ensureKeyring(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	keys, err := keyrotation.Generate()
	if err != nil {
		return err
	}
	// One server: a key added with sessionkeys can be promoted at once.
	if err := keys.SetPropagationDelay(0); err != nil {
		return err
	}
	return keys.WriteFile(path)
}

// line is one line of the cart. Each "add" makes a new line, which keeps its
// own copy of the item's name and a note.
type line struct {
	ID   int    `json:"id"`
	SKU  string `json:"sku"`
	Name string `json:"name"`
	Qty  int    `json:"qty"`
	Note string `json:"note"`
}

// cartOf returns the session's cart.
func cartOf(s *session.Session) ([]line, error) {
	cart, _, err := session.Value[[]line](s, "cart")
	return cart, err
}

// setCart stores the cart, or removes it when it is empty.
func setCart(s *session.Session, cart []line) error {
	if len(cart) == 0 {
		s.Delete("cart")
		return nil
	}
	return s.Set("cart", cart)
}

// status is the bar at the top of every page: where the session lives once
// this response is sent.
type status struct {
	Mode       string // "cookie", or Server
	Server     string // the server store: "MongoDB", "Redis", "PostgreSQL" or "memory"
	CookieSize int    // len(name)+len(value) of the session cookie, 0 without one
	Limit      int    // session.MaxCookieSize
	KeyID      string // the key that sealed or signed the cookie, "" without one
	TokenKind  string // "sealed session", "JWT reference" or "none"
	CartCount  int
	User       string
}

// Percent is how much of the cookie size limit the cookie uses, for the meter.
func (st status) Percent() int { return min(100, st.CookieSize*100/st.Limit) }

// pageData is what the templates render.
type pageData struct {
	Title     string
	Path      string
	Status    status
	Flashes   []string
	Catalogue []item
	Cart      []line // the session's cart; render fills it in
	Sessions  []sessionRow
}

// sessionRow is one of the user's sessions, in either mode.
type sessionRow struct {
	serverstore.Info
	Current bool
	Where   string // where it lives: "cookie", or the database's name
}

// render writes the page. The Manager saves the session when the header is
// written; render writes it first, so that the status bar shows the session as
// the browser holds it after this response (reading the flashes changes the
// session, which may move it between the cookie and MongoDB).
func (sh *shop) render(w http.ResponseWriter, r *http.Request, name string, d *pageData) {
	s := session.From(r.Context())
	var err error
	if d.Cart, err = cartOf(s); err != nil {
		sh.fail(w, r, err)
		return
	}
	d.Flashes, d.Path = s.Flashes(), r.URL.Path
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	d.Status = statusOf(w, r, s, sh.db.name, len(d.Cart))
	if err := pages.ExecuteTemplate(w, name, d); err != nil {
		sh.log.ErrorContext(r.Context(), "shop: rendering a page", "page", name, "err", err)
	}
}

// statusOf describes the session after the Manager saved it: call it once
// the response header is written. The cookie is the one the response sets, or
// else the one the request carried. server names the server store.
func statusOf(w http.ResponseWriter, r *http.Request, s *session.Session, server string, cartCount int) status {
	st := status{Mode: "cookie", Server: server, Limit: session.MaxCookieSize, TokenKind: "none", CartCount: cartCount, User: s.User()}
	if s.Mode() == session.ModeServer {
		st.Mode = server
	}
	token, ok := sessionCookie(w, r)
	if !ok {
		return st
	}
	st.CookieSize = len(cookieName) + len(token)
	st.KeyID, st.TokenKind = keyID(token)
	return st
}

// sessionCookie returns the value of the session cookie the browser holds
// once it has this response.
func sessionCookie(w http.ResponseWriter, r *http.Request) (string, bool) {
	for _, v := range w.Header().Values("Set-Cookie") {
		c, err := http.ParseSetCookie(v)
		if err == nil && c.Name == cookieName {
			return c.Value, c.MaxAge >= 0
		}
	}
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// keyID returns the ID of the key behind a session token, read without
// verifying anything: for a reference (a JWT), the kid of its header; for a
// sealed session, bytes 2 to 5 of the token, big-endian (see "Cookie format"
// in the README).
func keyID(token string) (id, kind string) {
	if head, _, ok := strings.Cut(token, "."); ok {
		var h struct {
			Kid string `json:"kid"`
		}
		b, err := base64.RawURLEncoding.DecodeString(head)
		if err != nil || json.Unmarshal(b, &h) != nil {
			return "", "unreadable"
		}
		return h.Kid, "JWT reference"
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 6 {
		return "", "unreadable"
	}
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[2:6])), 10), "sealed session"
}

// fail answers a request that went wrong on the server: 503 when MongoDB
// cannot be reached, 500 otherwise.
func (sh *shop) fail(w http.ResponseWriter, r *http.Request, err error) {
	sh.log.ErrorContext(r.Context(), "shop: request failed", "path", r.URL.Path, "err", err)
	code := http.StatusInternalServerError
	if errors.Is(err, session.ErrStoreUnavailable) {
		code = http.StatusServiceUnavailable
	}
	http.Error(w, http.StatusText(code), code)
}

// redirect ends a POST: the browser then GETs the page, which shows the
// session as this POST saved it (POST-redirect-GET).
func redirect(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path, http.StatusSeeOther)
}
