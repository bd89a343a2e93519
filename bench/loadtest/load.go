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

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/serverstore"
)

// Config sets the size of a run.
type Config struct {
	Users    int           // concurrent users, each with a session of its own
	Duration time.Duration // how long the load runs
	Writes   float64       // fraction of requests that change the cart
	Store    string        // "hybrid" or "server"
}

// Report is what a run measured.
type Report struct {
	Config
	Reads, Changes int64         // requests answered 200, by kind
	Failed         int64         // requests answered otherwise, or not at all
	Elapsed        time.Duration // from the first request to the last answer
	All            Latency
	Read, Change   Latency
	Commands       map[string]int64 // database commands during the load, by name
	Mismatched     int              // users whose cart did not read back as acknowledged
}

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
	var cmds int64
	for _, c := range r.Commands {
		cmds += c
	}
	fmt.Fprintf(w, "store             %s over %s, sessions kept on the server\n", r.Store, serverName())
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
		fmt.Fprintf(w, "commands/request  %.2f", float64(cmds)/float64(n))
		names := make([]string, 0, len(r.Commands))
		for name := range r.Commands {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(w, "  %s %.2f", name, float64(r.Commands[name])/float64(n))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "carts mismatched  %d of %d\n", r.Mismatched, r.Users)
	if r.OK() {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

// serverName names the MongoDB server the run uses.
func serverName() string {
	if os.Getenv("MONGODB_URI") != "" {
		return "MONGODB_URI"
	}
	return "devmongo (FerretDB over SQLite)"
}

// commandCounter counts the commands a client sends, by name, while on.
type commandCounter struct {
	on     atomic.Bool
	mu     sync.Mutex
	counts map[string]int64
}

func (c *commandCounter) started(_ context.Context, e *event.CommandStartedEvent) {
	if !c.on.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[e.CommandName]++
}

// Run runs the load for cfg.Duration and returns its report. It returns
// an error, and no report, when it cannot set the run up.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Users <= 0 || cfg.Duration <= 0 || cfg.Writes < 0 || cfg.Writes > 1 {
		return nil, errors.New("users and duration must be positive, writes between 0 and 1")
	}
	if cfg.Store != "hybrid" && cfg.Store != "server" {
		return nil, fmt.Errorf("store %q: want hybrid or server", cfg.Store)
	}
	uri := os.Getenv("MONGODB_URI")
	if uri == "" {
		p, u, err := mongotest.StartProcess()
		if err != nil {
			return nil, err
		}
		defer p.Close()
		uri = u
	}
	counter := &commandCounter{counts: map[string]int64{}}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetMonitor(&event.CommandMonitor{Started: counter.started}))
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.Background())
	db := client.Database(fmt.Sprintf("loadtest_%d", time.Now().UnixNano()))
	defer db.Drop(context.Background())

	keys, err := keyrotation.Generate()
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	b, err := mongostore.New(ctx, db.Collection("sessions"))
	if err != nil {
		return nil, err
	}
	server, err := serverstore.New(keys, b, serverstore.Options{Logger: quiet})
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
	m, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: "session", AllowInsecureHTTP: true}, Logger: quiet})
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
	if n, err := b.Count(ctx); err != nil || n != int64(cfg.Users) {
		return nil, fmt.Errorf("%d session records on the server after %d logins (%v), want one each", n, cfg.Users, err)
	}

	rep := &Report{Config: cfg}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	counter.on.Store(true)
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() { u.drive(runCtx, srv.URL, cfg.Writes) })
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	counter.on.Store(false)

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
	rep.Commands = counter.counts
	return rep, nil
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
