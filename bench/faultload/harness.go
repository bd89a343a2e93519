package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/bench/internal/backends"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

// Config sets the size of a run.
type Config struct {
	Backend  string        // one of backends.Names; "" is "mongo"
	Users    int           // simulated users; every fifth fills a cart past the cookie limit
	Duration time.Duration // how long the load runs
	Outage   time.Duration // how long each database outage lasts; memory has none
}

// Report is what a run measured.
type Report struct {
	Requests  int64
	ByClass   map[string]int64 // "200", "503", "other 5xx", "4xx", "transport"
	Attacks   int64            // tampered and oversized cookies sent
	AttackBad int64            // of those, answered with anything but 200
	P50, P99  time.Duration
	Database  string // the backend's server, as backends.DB.Name names it
	Outages   int
	Rotations int
	Lost      int      // acknowledged changes missing at the end
	Extra     int      // changes present at the end that were never requested
	Checked   int      // carts compared at the end
	Losses    []string // which users lost which changes
}

// OK reports whether no acknowledged change was lost and every failure was
// a clean 503.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.ByClass["other 5xx"] == 0 && r.ByClass["4xx"] == 0 && r.AttackBad == 0 && r.Checked > 0
}

// Print writes the report.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "requests        %d\n", r.Requests)
	for _, c := range []string{"200", "503", "other 5xx", "4xx", "transport"} {
		fmt.Fprintf(w, "  %-13s %d\n", c, r.ByClass[c])
	}
	fmt.Fprintf(w, "attacks         %d tampered or oversized cookies, %d not answered 200\n", r.Attacks, r.AttackBad)
	fmt.Fprintf(w, "latency         p50 %v  p99 %v\n", r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	expected := ""
	if r.Database == "memory" {
		expected = " (none expected: no server to stop)"
	}
	fmt.Fprintf(w, "faults          %d %s outages%s, %d key rotations\n", r.Outages, r.Database, expected, r.Rotations)
	fmt.Fprintf(w, "carts checked   %d\n", r.Checked)
	fmt.Fprintf(w, "lost changes    %d acknowledged changes missing\n", r.Lost)
	fmt.Fprintf(w, "extra changes   %d changes present that were never requested\n", r.Extra)
	for _, l := range r.Losses {
		fmt.Fprintf(w, "  %s\n", l)
	}
	if r.OK() {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

// harness holds the server under test and what the run records.
type harness struct {
	cfg  Config
	db   crasher // nil when the backend has no server to stop
	keys *keyrotation.Keyring
	srv  *httptest.Server

	reqs    atomic.Int64
	classes sync.Map // class → *atomic.Int64
	latMu   sync.Mutex
	lat     []time.Duration
	attacks atomic.Int64
	attBad  atomic.Int64
}

// crasher is a database server that the harness can crash and restart.
type crasher interface {
	Kill() error
	Restart() error
}

var _ crasher = backends.Server(nil)

// Run runs the harness for cfg.Duration and returns its report. It
// returns an error, and no report, when it cannot set up the run or cannot
// cause a fault (crash or restart the database, rotate a key): the run would
// not have tested what it claims.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Users <= 0 || cfg.Duration <= 0 || cfg.Outage <= 0 {
		return nil, errors.New("users, duration and outage must be positive")
	}
	if cfg.Backend == "" {
		cfg.Backend = "mongo"
	}
	h := &harness{cfg: cfg}
	// Redis syncs each write before it answers, as a durable deployment
	// does: a crash must not lose what the server acknowledged.
	db, err := backends.Open(ctx, cfg.Backend, backends.Options{Durable: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	h.db = db.Server
	if h.keys, err = keyrotation.Generate(); err != nil {
		return nil, err
	}
	if err := h.keys.SetPropagationDelay(0); err != nil { // one process: nothing to propagate
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	server, err := serverstore.New(h.keys, db.Backend, serverstore.Options{Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer server.Close()
	store, err := hybrid.New(h.keys, server, hybrid.Options{Logger: quiet})
	if err != nil {
		return nil, err
	}
	m, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: "cart", AllowInsecureHTTP: true}, Logger: quiet})
	if err != nil {
		return nil, err
	}
	h.srv = httptest.NewServer(m.Middleware(cartHandler()))
	defer h.srv.Close()

	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	users := make([]*user, cfg.Users)
	var wg sync.WaitGroup
	for i := range users {
		users[i] = newUser(i)
		wg.Go(func() { h.drive(runCtx, users[i]) })
	}
	wg.Go(func() { h.attack(runCtx) })
	rep := &Report{ByClass: map[string]int64{}, Database: db.Name}
	var outErr, rotErr error
	// A fault that cannot be caused ends the run at once: cancel stops the
	// users, and the deferred calls stop the servers.
	wg.Go(func() {
		if rep.Outages, outErr = h.outages(runCtx); outErr != nil {
			cancel()
		}
	})
	wg.Go(func() {
		if rep.Rotations, rotErr = h.rotations(runCtx, users); rotErr != nil {
			cancel()
		}
	})
	wg.Wait()
	if err := errors.Join(outErr, rotErr); err != nil {
		return nil, err
	}

	for _, u := range users {
		lost, extra, ok := h.check(ctx, u)
		if ok {
			rep.Checked++
		}
		rep.Lost += lost
		rep.Extra += extra
		if lost > 0 {
			rep.Losses = append(rep.Losses, fmt.Sprintf("user %d (large cart %v): %d of %d acknowledged items missing, %d extra",
				u.id, u.big, lost, len(u.cart), extra))
		}
	}
	rep.Requests = h.reqs.Load()
	h.classes.Range(func(k, v any) bool { rep.ByClass[k.(string)] = v.(*atomic.Int64).Load(); return true })
	rep.Attacks, rep.AttackBad = h.attacks.Load(), h.attBad.Load()
	h.latMu.Lock()
	slices.Sort(h.lat)
	if n := len(h.lat); n > 0 {
		rep.P50, rep.P99 = h.lat[n/2], h.lat[n*99/100]
	}
	h.latMu.Unlock()
	return rep, nil
}

// outages stops the database for cfg.Outage, about every three outages'
// time, and returns how many it caused. It stops at the first crash or
// restart that fails. A backend without a server (memory) has none.
func (h *harness) outages(ctx context.Context) (int, error) {
	if h.db == nil {
		return 0, nil
	}
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case <-time.After(2 * h.cfg.Outage):
		}
		// SIGKILL, not a clean stop: see the package documentation.
		if err := h.db.Kill(); err != nil {
			return n, fmt.Errorf("crashing the database: %w", err)
		}
		n++
		select {
		case <-ctx.Done():
		case <-time.After(h.cfg.Outage):
		}
		if err := h.db.Restart(); err != nil {
			return n, fmt.Errorf("restarting the database: %w", err)
		}
	}
}

// rotations rotates keys over and over: add, promote, wait until every
// user has had a successful request since the promotion (their sessions
// are re-sealed), then disable and remove the old key. It returns how many
// rotations it completed, and stops at the first step that fails.
func (h *harness) rotations(ctx context.Context, users []*user) (int, error) {
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case <-time.After(h.cfg.Duration / 4):
		}
		old := h.keys.Keys()[0].ID
		id, err := h.keys.Add()
		if err != nil {
			return n, fmt.Errorf("key rotation: adding a key: %w", err)
		}
		if err := h.keys.Promote(id); err != nil {
			return n, fmt.Errorf("key rotation: %w", err)
		}
		promoted := time.Now().UnixNano()
		for !allSince(users, promoted) {
			select {
			case <-ctx.Done():
				return n, nil
			case <-time.After(50 * time.Millisecond):
			}
		}
		// Every user's session has been re-sealed under the new key, which
		// the ring cannot know: it would wait the max lifetime.
		if err := h.keys.Force(old, keyrotation.Disabled); err != nil {
			return n, fmt.Errorf("key rotation: %w", err)
		}
		if err := h.keys.Remove(old); err != nil {
			return n, fmt.Errorf("key rotation: %w", err)
		}
		n++
	}
}

func allSince(users []*user, t int64) bool {
	for _, u := range users {
		if u.lastOK.Load() < t {
			return false
		}
	}
	return true
}

// attack sends tampered and oversized cookies; each must get a fresh
// session and a 200.
func (h *harness) attack(ctx context.Context) {
	c := &http.Client{Timeout: 5 * time.Second}
	for i := 0; ctx.Err() == nil; i++ {
		var value string
		switch i % 3 {
		case 0:
			value = strings.Repeat("A", 5000)
		case 1:
			value = "AQ" + strings.Repeat("x", 300)
		default:
			value = "eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0."
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/cart", nil)
		req.AddCookie(&http.Cookie{Name: "cart", Value: value})
		resp, err := c.Do(req)
		if ctx.Err() != nil {
			return
		}
		h.attacks.Add(1)
		if err != nil {
			h.attBad.Add(1)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			h.attBad.Add(1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) count(class string) {
	v, _ := h.classes.LoadOrStore(class, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// user is one simulated browser and what the server acknowledged to it.
type user struct {
	id     int
	big    bool
	client *http.Client
	cart   []string // the cart as acknowledged
	// uncertain holds the items of requests that got no acknowledgement: a
	// 503 after the write reached the database leaves the change applied, which
	// the client cannot know. They count neither as lost nor as extra.
	uncertain map[string]bool
	rnd       *rand.Rand
	lastOK    atomic.Int64 // start time (UnixNano) of the last request answered 200
}

func newUser(i int) *user {
	jar, _ := cookiejar.New(nil)
	return &user{id: i, big: i%5 == 0, client: &http.Client{Jar: jar, Timeout: 5 * time.Second},
		uncertain: map[string]bool{}, rnd: rand.New(rand.NewPCG(uint64(i), 1))}
}

// drive makes the user add and remove items until ctx ends.
func (h *harness) drive(ctx context.Context, u *user) {
	for seq := 0; ctx.Err() == nil; seq++ {
		limit := 8
		if u.big {
			limit = 45
		}
		var path, item string
		if len(u.cart) < limit && (len(u.cart) == 0 || u.rnd.IntN(4) != 0) {
			item = fmt.Sprintf("u%d-i%d", u.id, seq)
			path = "/cart/add?item=" + item
			if u.big {
				path += "&note=" + strings.Repeat("n", 60)
			}
		} else {
			item = u.cart[u.rnd.IntN(len(u.cart))]
			path = "/cart/remove?item=" + item
		}
		start := time.Now()
		// In-flight requests finish even when the run ends, so that every
		// answer the server gave is recorded.
		resp, err := u.client.Post(h.srv.URL+path, "", nil)
		h.reqs.Add(1)
		if err != nil {
			h.count("transport")
			u.uncertain[item] = true
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		h.latMu.Lock()
		h.lat = append(h.lat, time.Since(start))
		h.latMu.Unlock()
		switch code := resp.StatusCode; {
		case code == http.StatusOK:
			h.count("200")
			u.lastOK.Store(start.UnixNano())
			if strings.HasPrefix(path, "/cart/add") {
				u.cart = append(u.cart, item)
			} else {
				u.cart = slices.DeleteFunc(u.cart, func(s string) bool { return s == item })
			}
		case code == http.StatusServiceUnavailable:
			h.count("503")
			u.uncertain[item] = true
			time.Sleep(50 * time.Millisecond)
		case code >= 500:
			h.count("other 5xx")
			u.uncertain[item] = true
		default:
			h.count("4xx")
			u.uncertain[item] = true
		}
	}
}

// check compares the user's cart on the server with what was acknowledged.
func (h *harness) check(ctx context.Context, u *user) (lost, extra int, ok bool) {
	for range 50 {
		req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/cart", nil)
		resp, err := u.client.Do(req)
		if err != nil {
			return 0, 0, false
		}
		var got []string
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			time.Sleep(100 * time.Millisecond) // the driver reconnecting after the last restart
			continue
		}
		if err != nil {
			return 0, 0, false
		}
		for _, it := range u.cart {
			if !slices.Contains(got, it) && !u.uncertain[it] {
				lost++
			}
		}
		for _, it := range got {
			if !slices.Contains(u.cart, it) && !u.uncertain[it] {
				extra++
			}
		}
		return lost, extra, true
	}
	return 0, 0, false
}

type line struct {
	Item string `json:"item"`
	Note string `json:"note,omitempty"`
}

// cartHandler serves the cart: POST /cart/add, POST /cart/remove, GET /cart.
func cartHandler() http.Handler {
	mux := http.NewServeMux()
	load := func(w http.ResponseWriter, r *http.Request) ([]line, bool) {
		cart, _, err := session.Value[[]line](session.From(r.Context()), "cart")
		if err != nil {
			http.Error(w, "unreadable cart", http.StatusInternalServerError)
			return nil, false
		}
		return cart, true
	}
	save := func(w http.ResponseWriter, r *http.Request, cart []line) {
		if err := session.From(r.Context()).Set("cart", cart); err != nil {
			http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		}
	}
	mux.HandleFunc("POST /cart/add", func(w http.ResponseWriter, r *http.Request) {
		if cart, ok := load(w, r); ok {
			save(w, r, append(cart, line{Item: r.FormValue("item"), Note: r.FormValue("note")}))
		}
	})
	mux.HandleFunc("POST /cart/remove", func(w http.ResponseWriter, r *http.Request) {
		if cart, ok := load(w, r); ok {
			item := r.FormValue("item")
			save(w, r, slices.DeleteFunc(cart, func(l line) bool { return l.Item == item }))
		}
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		cart, ok := load(w, r)
		if !ok {
			return
		}
		items := make([]string, len(cart))
		for i, l := range cart {
			items[i] = l.Item
		}
		json.NewEncoder(w).Encode(items)
	})
	return mux
}
