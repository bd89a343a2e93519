package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// The fleet tests run three servers in one process, each with its own copy
// of the key ring file and a watcher, and clients that spread their
// requests over all three, while an operator rotates keys with this
// command's run.

const (
	fleetCookie   = "sid"
	fleetDelay    = 300 * time.Millisecond // the ring's propagation delay
	fleetLifetime = time.Second            // the ring's max lifetime
	fleetInterval = 10 * time.Millisecond  // the watchers' polling interval
)

type fleetServer struct {
	file string
	keys *keyrotation.Keyring
	srv  *httptest.Server
}

type fleet struct {
	t        *testing.T
	master   string // the operator's ring file
	servers  []*fleetServer
	rejected atomic.Int64 // requests whose session had been lost
	requests atomic.Int64
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	dir := t.TempDir()
	f := &fleet{t: t, master: filepath.Join(dir, "keys.json")}
	f.sessionkeys("init", f.master)
	keys, err := keyrotation.LoadFile(f.master)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.SetPropagationDelay(fleetDelay); err != nil {
		t.Fatal(err)
	}
	if err := keys.SetMaxLifetime(fleetLifetime); err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(f.master); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for i := range 3 {
		s := &fleetServer{file: filepath.Join(dir, fmt.Sprintf("server%d.json", i))}
		f.deploy(s)
		s.keys, err = keyrotation.WatchFile(ctx, s.file, fleetInterval, func(err error) {
			// The watcher may still poll after the test has cancelled it
			// and its directory is gone: an error then is no failure.
			if ctx.Err() == nil {
				t.Errorf("server %d: %v", i, err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		store, err := cookiestore.New(s.keys)
		if err != nil {
			t.Fatal(err)
		}
		m, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: fleetCookie, AllowInsecureHTTP: true},
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		s.srv = httptest.NewServer(m.Middleware(http.HandlerFunc(f.visit)))
		t.Cleanup(s.srv.Close)
		f.servers = append(f.servers, s)
	}
	return f
}

// visit counts a client's visits in its session. The client says how many
// it made before; a session that does not remember them was lost.
func (f *fleet) visit(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	before, _ := strconv.Atoi(r.FormValue("n"))
	n, _, err := session.Value[int](s, "visits")
	if err != nil || n != before {
		f.rejected.Add(1)
	}
	if err := s.Set("visits", before+1); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// sessionkeys runs the command and fails the test if it fails.
func (f *fleet) sessionkeys(args ...string) string {
	f.t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		f.t.Fatalf("sessionkeys %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// deploy copies the operator's ring to a server the way a deployment tool
// does: a new file renamed over the old one.
func (f *fleet) deploy(s *fleetServer) {
	f.t.Helper()
	data, err := os.ReadFile(f.master)
	if err != nil {
		f.t.Fatal(err)
	}
	tmp := s.file + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Rename(tmp, s.file); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) deployAll() {
	for _, s := range f.servers {
		f.deploy(s)
	}
}

// waitFor polls cond until it holds.
func (f *fleet) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(fleetInterval)
	}
}

func (f *fleet) everyServer(what string, cond func(*keyrotation.Keyring) bool) {
	f.t.Helper()
	f.waitFor(what, func() bool {
		for _, s := range f.servers {
			if !cond(s.keys) {
				return false
			}
		}
		return true
	})
}

func hasKey(id uint32) func(*keyrotation.Keyring) bool {
	return func(k *keyrotation.Keyring) bool {
		_, err := k.Cipher(keyrotation.PurposeCookie, id)
		return err == nil
	}
}

// newestKey returns the ID of the most recently created key in the
// operator's ring.
func (f *fleet) newestKey() uint32 {
	f.t.Helper()
	keys, err := keyrotation.LoadFile(f.master)
	if err != nil {
		f.t.Fatal(err)
	}
	var newest keyrotation.KeyInfo
	for _, k := range keys.Keys() {
		if !k.Created.Before(newest.Created) {
			newest = k
		}
	}
	return newest.ID
}

// client is a browser with a cookie jar that visits the servers in turn.
type client struct {
	http   *http.Client
	visits int
	last   atomic.Uint32 // key ID of the newest cookie
}

func (f *fleet) newClient() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	// Cookies do not depend on the port: one jar serves all three servers.
	return &client{http: &http.Client{Jar: jar}}
}

func (f *fleet) visitOnce(c *client, server int) {
	s := f.servers[server%len(f.servers)]
	resp, err := c.http.Get(fmt.Sprintf("%s/?n=%d", s.srv.URL, c.visits))
	if err != nil {
		f.t.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	f.requests.Add(1)
	if resp.StatusCode != http.StatusOK {
		f.t.Errorf("status %d", resp.StatusCode)
		return
	}
	c.visits++
	u, _ := url.Parse(s.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == fleetCookie {
			c.last.Store(cookieKeyID(ck.Value))
		}
	}
}

// cookieKeyID returns the key ID in a sealed cookie's header.
func cookieKeyID(token string) uint32 {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 6 {
		return 0
	}
	return binary.BigEndian.Uint32(b[2:6])
}

// traffic has clients visit the servers in turn until the returned
// function is called, which waits for them; it also runs when the test
// ends, so that no client outlives a failed test.
func (f *fleet) traffic(clients []*client) (stop func()) {
	var wg sync.WaitGroup
	done := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
	f.t.Cleanup(stop)
	for i, c := range clients {
		wg.Go(func() {
			for j := i; ; j++ {
				select {
				case <-done:
					return
				default:
				}
				f.visitOnce(c, j)
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	return stop
}

func TestFleetRotation(t *testing.T) {
	f := newFleet(t)
	old := f.servers[0].keys.Keys()[0].ID
	clients := make([]*client, 12)
	for i := range clients {
		clients[i] = f.newClient()
	}
	stop := f.traffic(clients)

	// 1. Add a key and copy the ring to every server.
	f.sessionkeys("add", f.master)
	id := f.newestKey()
	f.deployAll()
	f.everyServer("every server to have the new key", hasKey(id))
	// 2. Promote once the propagation delay has passed (the ring counts
	// from the second the key was added, rounded down), and deploy.
	time.Sleep(fleetDelay + time.Second)
	f.sessionkeys("promote", f.master, fmt.Sprint(id))
	f.deployAll()
	f.everyServer("every server to seal with the new key", func(k *keyrotation.Keyring) bool { return k.Keys()[0].ID == id })
	// 3. Wait until the sessions the old key sealed have ended. Disable
	// refuses before the ring's max lifetime, which stands here for the
	// longest session lifetime; every session in use is re-sealed by then.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"disable", f.master, fmt.Sprint(old)}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "disable it from") {
		t.Errorf("disable right after promote: exit %d, stderr %q; want a refusal that says from when", code, stderr.String())
	}
	f.waitFor("every session to be re-sealed", func() bool {
		for _, c := range clients {
			if c.last.Load() != id {
				return false
			}
		}
		return true
	})
	info, ok := keyInfo(loadRing(t, f.master), old)
	if !ok {
		t.Fatalf("no key %d in the ring", old)
	}
	time.Sleep(time.Until(info.DisableableAt))
	// 4. Disable the old key, then remove it.
	f.sessionkeys("disable", f.master, fmt.Sprint(old))
	f.deployAll()
	f.everyServer("every server to disable the old key", func(k *keyrotation.Keyring) bool { return !hasKey(old)(k) })
	f.sessionkeys("remove", f.master, fmt.Sprint(old))
	f.deployAll()
	f.everyServer("every server to remove the old key", func(k *keyrotation.Keyring) bool { return len(k.Keys()) == 1 })
	before := f.requests.Load()
	f.waitFor("more traffic after the rotation", func() bool { return f.requests.Load() > before+100 })
	stop()

	if n := f.rejected.Load(); n != 0 {
		t.Errorf("%d of %d requests lost their session during the rotation, want 0", n, f.requests.Load())
	}
	for i, c := range clients {
		if got := c.last.Load(); got != id {
			t.Errorf("client %d: cookie sealed under key %d, want the new key %d", i, got, id)
		}
	}
	t.Logf("%d requests, %d clients, no session lost", f.requests.Load(), len(clients))
}

// Promoting on one server before the others have the key loses sessions;
// the command refuses to promote a key before the propagation delay.
func TestFleetPromoteTooEarly(t *testing.T) {
	f := newFleet(t)
	old := f.servers[0].keys.Keys()[0].ID

	f.sessionkeys("add", f.master)
	id := f.newestKey()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"promote", f.master, fmt.Sprint(id)}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "propagat") {
		t.Errorf("promote right after add: exit %d, stderr %q; want a refusal that names the propagation delay", code, stderr.String())
	}
	if keys, err := keyrotation.LoadFile(f.master); err != nil || keys.Keys()[0].ID != old {
		t.Fatalf("a refused promote changed the ring: %v", err)
	}

	// What the guard prevents: one server gets the key and promotes it at
	// once; the others do not have it yet.
	f.sessionkeys("promote", "--force", f.master, fmt.Sprint(id))
	f.deploy(f.servers[0])
	f.waitFor("server 0 to seal with the new key", func() bool { return f.servers[0].keys.Keys()[0].ID == id })
	clients := make([]*client, 6)
	for i := range clients {
		clients[i] = f.newClient()
		for j := range 6 {
			f.visitOnce(clients[i], j)
		}
	}
	if f.rejected.Load() == 0 {
		t.Error("sessions sealed under a key the other servers lack were not lost; the negative case shows nothing")
	}
	t.Logf("%d of %d requests lost their session", f.rejected.Load(), f.requests.Load())
}
