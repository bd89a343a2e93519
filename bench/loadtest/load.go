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
	"os"
	"slices"
	"strconv"
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
	Users    int           // concurrent users, each with a session of its own
	Duration time.Duration // how long the load runs
	Writes   float64       // fraction of requests that change the cart
	Store    string        // "hybrid" or "server"
	Backend  string        // one of backends.Names; "" is "mongo"
}

// Report is what a run measured.
type Report struct {
	Config
	Reads, Changes int64         // requests answered 200, by kind
	Failed         int64         // requests answered otherwise, or not at all
	Elapsed        time.Duration // from the first request to the last answer
	All            Latency
	Read, Change   Latency
	Database       string           // the backend's server, as backends.DB.Name names it
	RoundTrips     map[string]int64 // database round trips during the load, by command
	Sequential     [3]Kind          // one user's requests one at a time, by kind: read, change, unchanged past the touch interval
	Mismatched     int              // users whose cart did not read back as acknowledged
}

// Kind is the database round trips of one kind of request, counted over
// requests sent one at a time, so that each round trip is the request's.
type Kind struct {
	Requests   int64
	RoundTrips map[string]int64 // by command
}

// PerRequest returns the round trips per request, in all and by command.
func (k Kind) PerRequest() (float64, map[string]float64) {
	var all int64
	by := map[string]float64{}
	for name, n := range k.RoundTrips {
		all += n
		by[name] = float64(n) / float64(k.Requests)
	}
	return float64(all) / float64(k.Requests), by
}

// kindNames name Report.Sequential's entries.
var kindNames = [3]string{"read", "change", "unchanged past touch"}

// Latency is a latency distribution's median and 99th percentile.
type Latency struct{ P50, P99 time.Duration }

func latency(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	return Latency{P50: d[len(d)/2], P99: d[len(d)*99/100]}
}

// OK reports whether every request succeeded and every cart read back as
// acknowledged.
func (r *Report) OK() bool {
	return r.Failed == 0 && r.Mismatched == 0 && r.Reads+r.Changes > 0
}

// Print writes the report.
func (r *Report) Print(w io.Writer) {
	n := r.Reads + r.Changes
	fmt.Fprintf(w, "store             %s over %s, sessions kept on the server\n", r.Store, r.Database)
	fmt.Fprintf(w, "users             %d, %.0f%% changes\n", r.Users, 100*r.Writes)
	fmt.Fprintf(w, "requests          %d in %v: %d reads, %d changes, %d failed\n",
		n, r.Elapsed.Round(time.Millisecond), r.Reads, r.Changes, r.Failed)
	fmt.Fprintf(w, "throughput        %.0f requests/s\n", float64(n)/r.Elapsed.Seconds())
	for _, l := range []struct {
		name string
		l    Latency
	}{{"all", r.All}, {"read", r.Read}, {"change", r.Change}} {
		fmt.Fprintf(w, "latency %-9s p50 %v  p99 %v\n", l.name, l.l.P50.Round(time.Microsecond), l.l.P99.Round(time.Microsecond))
	}
	if n > 0 {
		fmt.Fprint(w, "round trips/req   ")
		printPerRequest(w, Kind{Requests: n, RoundTrips: r.RoundTrips})
	}
	for i, k := range r.Sequential {
		if k.Requests > 0 {
			fmt.Fprintf(w, "  one at a time, %s: ", kindNames[i])
			printPerRequest(w, k)
		}
	}
	fmt.Fprintf(w, "carts mismatched  %d of %d\n", r.Mismatched, r.Users)
	if r.OK() {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

// printPerRequest writes k's round trips per request, in all and by
// command, on one line.
func printPerRequest(w io.Writer, k Kind) {
	all, by := k.PerRequest()
	fmt.Fprintf(w, "%.2f", all)
	names := make([]string, 0, len(by))
	for name := range by {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %s %.2f", name, by[name])
	}
	fmt.Fprintln(w)
}

// clock is the Manager's clock: the time now plus an offset that the
// sequential requests move forward past the touch interval.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Run runs the load for cfg.Duration and returns its report. It returns
// an error, and no report, when it cannot set the run up.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Users <= 0 || cfg.Duration <= 0 || cfg.Writes < 0 || cfg.Writes > 1 {
		return nil, errors.New("users and duration must be positive, writes between 0 and 1")
	}
	if cfg.Store != "hybrid" && cfg.Store != "server" {
		return nil, fmt.Errorf("store %q: want hybrid or server", cfg.Store)
	}
	if cfg.Backend != "" && !slices.Contains(backends.Names, cfg.Backend) {
		return nil, fmt.Errorf("unknown backend %q: want one of %v", cfg.Backend, backends.Names)
	}
	if cfg.Backend == "" {
		cfg.Backend = "mongo"
	}
	db, err := backends.Open(ctx, cfg.Backend, backends.Options{MongoURI: os.Getenv("MONGODB_URI")})
	if err != nil {
		return nil, err
	}
	defer db.Close()

	keys, err := keyrotation.Generate()
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	server, err := serverstore.New(keys, db.Backend, serverstore.Options{Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer server.Close()
	var store session.Store = server
	if cfg.Store == "hybrid" {
		if store, err = hybrid.New(keys, server, hybrid.Options{Logger: quiet}); err != nil {
			return nil, err
		}
	}
	clk := &clock{}
	m, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: "session", AllowInsecureHTTP: true},
		Logger: quiet, Now: clk.now, TouchInterval: touchInterval})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(m.Middleware(cartHandler()))
	defer srv.Close()
	// One idle connection per user, so that requests reuse connections
	// rather than measure TCP handshakes.
	transport := &http.Transport{MaxIdleConnsPerHost: cfg.Users}
	defer transport.CloseIdleConnections()

	users := make([]*user, cfg.Users)
	for i := range users {
		if users[i], err = login(ctx, srv.URL, transport, i); err != nil {
			return nil, err
		}
	}

	// The sessions must be where the run claims to measure them.
	if n, err := db.Backend.Count(ctx); err != nil || n != int64(cfg.Users) {
		return nil, fmt.Errorf("%d session records on the server after %d logins (%v), want one each", n, cfg.Users, err)
	}

	rep := &Report{Config: cfg, Database: db.Name}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	before := db.RoundTrips.Counts()
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() { u.drive(runCtx, srv.URL, cfg.Writes) })
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	rep.RoundTrips = backends.Since(before, db.RoundTrips.Counts())

	var all, reads, changes []time.Duration
	for _, u := range users {
		rep.Failed += u.failed
		reads = append(reads, u.reads...)
		changes = append(changes, u.changes...)
		if !u.check(ctx, srv.URL) {
			rep.Mismatched++
		}
	}
	rep.Reads, rep.Changes = int64(len(reads)), int64(len(changes))
	all = append(append(all, reads...), changes...)
	rep.All, rep.Read, rep.Change = latency(all), latency(reads), latency(changes)
	// Last, since it moves the clock past the other users' idle deadlines.
	if rep.Sequential, err = users[0].sequential(ctx, srv.URL, clk, db.RoundTrips); err != nil {
		return nil, err
	}
	return rep, nil
}

const (
	// touchInterval is the Manager's: an unchanged session is written at
	// most this often. The shortest allowed, so that sequential can make
	// sessions due a touch without moving the clock past the hybrid
	// store's revocation cache (a minute). A user under load changes its
	// cart several times a second, so the load sees few touches.
	touchInterval = time.Second

	// sequentialRequests is how many requests of each kind sequential sends.
	sequentialRequests = 10
)

// sequential sends sequentialRequests requests of each kind one at a time,
// with no other user's requests in flight, and counts their round trips:
// reads, changes, and reads of an unchanged session each after the clock
// moved past the touch interval, which makes the session due a write.
//
// First it moves the clock a minute on and sends a read it does not count,
// which refreshes the user's revocation stamp in the hybrid store's cache:
// the requests it counts then find the stamp cached, as all but one a
// minute of a user's requests do.
func (u *user) sequential(ctx context.Context, url string, clk *clock, c *backends.Counter) ([3]Kind, error) {
	var kinds [3]Kind
	clk.offset.Add(int64(time.Minute))
	if code, err := u.do(ctx, http.MethodGet, url+"/cart"); err != nil || code != http.StatusOK {
		return kinds, fmt.Errorf("user %d: refreshing the stamp: status %d, %v", u.id, code, err)
	}
	for i := range kinds {
		before := c.Counts()
		for range sequentialRequests {
			method, target := http.MethodGet, url+"/cart"
			switch i {
			case 1:
				u.qty++
				method, target = http.MethodPost, url+"/cart/qty?qty="+strconv.Itoa(u.qty)
			case 2:
				clk.offset.Add(int64(2 * touchInterval))
			}
			if code, err := u.do(ctx, method, target); err != nil || code != http.StatusOK {
				return kinds, fmt.Errorf("user %d: sequential %s: status %d, %v", u.id, kindNames[i], code, err)
			}
		}
		kinds[i] = Kind{Requests: sequentialRequests, RoundTrips: backends.Since(before, c.Counts())}
	}
	return kinds, nil
}

// user is one simulated browser.
type user struct {
	id     int
	client *http.Client
	rnd    *rand.Rand
	qty    int // the quantity the server last acknowledged

	reads, changes []time.Duration // latencies of requests answered 200
	failed         int64
}

// login makes user i's session: logged in and so revocable, which keeps it
// on the server.
func login(ctx context.Context, url string, transport http.RoundTripper, i int) (*user, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	u := &user{id: i, client: &http.Client{Jar: jar, Transport: transport, Timeout: 10 * time.Second},
		rnd: rand.New(rand.NewPCG(uint64(i), 1)), qty: 1}
	if code, err := u.do(ctx, http.MethodPost, url+"/login?user=usr_"+strconv.Itoa(i)); err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("user %d: login: status %d, %v", i, code, err)
	}
	return u, nil
}

// do sends a request and returns its status.
func (u *user) do(ctx context.Context, method, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// drive sends requests one after another until ctx ends. The request in
// flight then finishes, so that the quantity the server acknowledged is
// known.
func (u *user) drive(ctx context.Context, url string, writes float64) {
	inFlight := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		change := u.rnd.Float64() < writes
		target, qty := url+"/cart", u.qty+1
		method := http.MethodGet
		if change {
			target, method = url+"/cart/qty?qty="+strconv.Itoa(qty), http.MethodPost
		}
		start := time.Now()
		code, err := u.do(inFlight, method, target)
		d := time.Since(start)
		switch {
		case err != nil || code != http.StatusOK:
			u.failed++
		case change:
			u.qty = qty
			u.changes = append(u.changes, d)
		default:
			u.reads = append(u.reads, d)
		}
	}
}

// check reads the cart and reports whether its quantity is the one last
// acknowledged.
func (u *user) check(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/cart", nil)
	if err != nil {
		return false
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var cart []item
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&cart) != nil || len(cart) < 2 {
		return false
	}
	return cart[1].Qty == u.qty
}

// item is one line of the cart.
type item struct {
	SKU string
	Qty int
}

// cartHandler serves POST /login?user=ID, GET /cart and POST
// /cart/qty?qty=N, which sets the quantity of the cart's second item.
func cartHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.SetUser(r.FormValue("user"))
		s.SetRevocable(true)
		if err := s.Set("cart", []item{{"BOOK-0001", 1}, {"MUG-0042", 1}, {"PEN-0007", 10}}); err != nil {
			http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /cart", func(w http.ResponseWriter, r *http.Request) {
		cart, _, err := session.Value[[]item](session.From(r.Context()), "cart")
		if err != nil || len(cart) == 0 {
			http.Error(w, "no cart", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(cart)
	})
	mux.HandleFunc("POST /cart/qty", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		cart, _, err := session.Value[[]item](s, "cart")
		qty, qerr := strconv.Atoi(r.FormValue("qty"))
		if err != nil || qerr != nil || len(cart) < 2 {
			http.Error(w, "bad cart or quantity", http.StatusBadRequest)
			return
		}
		cart[1].Qty = qty
		if err := s.Set("cart", cart); err != nil {
			http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		}
	})
	return mux
}
