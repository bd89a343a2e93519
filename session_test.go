package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

var start = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// env is a TLS test server with the middleware in front of testMux, and a
// client with a cookie jar.
type env struct {
	t      *testing.T
	keys   *keyrotation.Keyring
	clock  *testkit.Clock
	m      *session.Manager
	srv    *httptest.Server
	client *http.Client
	logs   *bytes.Buffer
}

func newEnv(t *testing.T, opts session.Options) *env {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWithKeys(t, keys, opts)
}

func newEnvWithKeys(t *testing.T, keys *keyrotation.Keyring, opts session.Options) *env {
	t.Helper()
	e := &env{t: t, keys: keys, clock: testkit.NewClock(start), logs: new(bytes.Buffer)}
	store, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = e.clock.Now
	opts.Logger = slog.New(slog.NewTextHandler(syncWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.m, err = session.NewManager(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewTLSServer(e.m.Middleware(testMux()))
	t.Cleanup(e.srv.Close)
	e.client = e.newClient()
	return e
}

func (e *env) newClient() *http.Client {
	c := *e.srv.Client()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c.Jar = jar
	return &c
}

var logMu sync.Mutex

type syncWriter struct{ w io.Writer }

func (s syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return s.w.Write(p)
}

// do sends a request and returns the response with its body read.
func (e *env) do(c *http.Client, method, path string, cookies ...*http.Cookie) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(body)
}

func (e *env) get(path string) string {
	e.t.Helper()
	resp, body := e.do(e.client, "GET", path)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: status %d, body %q", path, resp.StatusCode, body)
	}
	return body
}

// jarCookie returns the session cookie the client holds, or nil.
func (e *env) jarCookie(c *http.Client) *http.Cookie {
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == e.m.CookieName() {
			return ck
		}
	}
	return nil
}

func sessionCookie(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// kidOf returns the key ID in a token's header.
func kidOf(t *testing.T, token string) uint32 {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 6 {
		t.Fatalf("token does not decode: %v", err)
	}
	return binary.BigEndian.Uint32(b[2:6])
}

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		v, ok, err := session.Value[string](session.From(r.Context()), r.FormValue("k"))
		switch {
		case err != nil:
			http.Error(w, err.Error(), 500)
		case !ok:
			fmt.Fprint(w, "<missing>")
		default:
			fmt.Fprint(w, v)
		}
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set(r.FormValue("k"), r.FormValue("v")); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).SetUser(r.FormValue("u"))
	})
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.From(r.Context()).ID())
	})
	mux.HandleFunc("/flash/add", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).AddFlash(r.FormValue("m"))
	})
	mux.HandleFunc("/flash", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Join(session.From(r.Context()).Flashes(), ","))
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.Renew()
		fmt.Fprint(w, s.ID())
	})
	mux.HandleFunc("/destroy", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).Destroy()
	})
	mux.HandleFunc("/persist", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).SetPersistent(true)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set("big", strings.Repeat("x", 5000)); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, "handler body")
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).Set("flushed", "yes")
		fmt.Fprint(w, "part1,")
		if err := http.NewResponseController(w).Flush(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, "part2")
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).Set("hijacked", "yes")
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close()
		// The hijacker writes the response itself, with the header the
		// middleware prepared.
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 8\r\n")
		w.Header().Write(buf)
		fmt.Fprintf(buf, "\r\nhijacked")
		buf.Flush()
	})
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		fmt.Fprint(w, "written")
		s.Set("late", "yes")
	})
	mux.HandleFunc("/concurrent", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() { s.Set(fmt.Sprintf("k%02d", i), fmt.Sprint(i)) })
		}
		wg.Wait()
	})
	mux.HandleFunc("/early-hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		session.From(r.Context()).Set("after-hints", "yes")
		fmt.Fprint(w, "final")
	})
	return mux
}

func TestValuesAcrossRequests(t *testing.T) {
	e := newEnv(t, session.Options{})
	if got := e.get("/get?k=color"); got != "<missing>" {
		t.Fatalf("new session: got %q, want <missing>", got)
	}
	e.get("/set?k=color&v=blue")
	e.get("/set?k=size&v=L")
	if got := e.get("/get?k=color"); got != "blue" {
		t.Errorf("color: got %q, want blue", got)
	}
	if got := e.get("/get?k=size"); got != "L" {
		t.Errorf("size: got %q, want L", got)
	}
	id1, id2 := e.get("/id"), e.get("/id")
	if id1 != id2 || len(id1) != 22 {
		t.Errorf("ID: got %q then %q, want one stable 22-character ID", id1, id2)
	}
}

func TestCookieAttributesAndHeaders(t *testing.T) {
	e := newEnv(t, session.Options{})
	resp, _ := e.do(e.client, "GET", "/set?k=a&v=1")
	lines := resp.Header.Values("Set-Cookie")
	if len(lines) != 1 {
		t.Fatalf("Set-Cookie lines: got %d, want 1", len(lines))
	}
	line := lines[0]
	for _, want := range []string{"__Host-session=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(line, want) {
			t.Errorf("Set-Cookie %q lacks %q", line, want)
		}
	}
	for _, unwanted := range []string{"Domain=", "Max-Age=", "Expires="} {
		if strings.Contains(line, unwanted) {
			t.Errorf("browser-session cookie %q has %q", line, unwanted)
		}
	}
	if got := resp.Header.Get("Vary"); got != "Cookie" {
		t.Errorf("Vary: got %q, want Cookie", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != `no-cache="Set-Cookie"` {
		t.Errorf("Cache-Control: got %q", got)
	}
}

// TestShortIdleTimeoutStillRateLimits checks that an idle timeout under ten
// seconds, whose tenth is under the one-second resolution of tokens, still
// leaves a touch interval: not a write on every request.
func TestShortIdleTimeoutStillRateLimits(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: 5 * time.Second})
	e.get("/set?k=a&v=1")
	resp, _ := e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Errorf("unchanged session read in the second it was saved set a cookie")
	}
	e.clock.Advance(time.Second)
	resp, _ = e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c == nil {
		t.Errorf("unchanged session one second later, past the default touch interval, set no cookie")
	}
}

func TestUnchangedSessionIsNotRewritten(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: time.Hour, TouchInterval: 10 * time.Minute})
	resp, _ := e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Fatalf("an untouched new session set a cookie")
	}
	e.get("/set?k=a&v=1")
	e.clock.Advance(9 * time.Minute)
	resp, _ = e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Errorf("unchanged session inside the touch interval set a cookie")
	}
	if got := resp.Header.Get("Vary"); got != "Cookie" {
		t.Errorf("Vary without a cookie: got %q, want Cookie", got)
	}
	e.clock.Advance(2 * time.Minute)
	resp, _ = e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c == nil {
		t.Errorf("unchanged session past the touch interval was not refreshed")
	}
	resp, _ = e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Errorf("refreshed session was written again at once")
	}
}

func TestFlashesAreReadOnce(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/flash/add?m=saved")
	e.get("/flash/add?m=again")
	if got := e.get("/flash"); got != "saved,again" {
		t.Errorf("first read: got %q, want saved,again", got)
	}
	if got := e.get("/flash"); got != "" {
		t.Errorf("second read: got %q, want nothing", got)
	}
}

func TestRenewIssuesNewIDAndKeepsValues(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/set?k=cart&v=3")
	before := e.get("/id")
	oldCookie := e.jarCookie(e.client)
	renewed := e.get("/renew")
	after := e.get("/id")
	if renewed == before || after != renewed {
		t.Errorf("IDs: before %q, renewed %q, after %q; want a new stable ID", before, renewed, after)
	}
	if got := e.get("/get?k=cart"); got != "3" {
		t.Errorf("value after renew: got %q, want 3", got)
	}
	if c := e.jarCookie(e.client); c.Value == oldCookie.Value {
		t.Errorf("renew kept the old token")
	}
}

func TestDestroyExpiresCookie(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/set?k=a&v=1")
	resp, _ := e.do(e.client, "GET", "/destroy")
	c := sessionCookie(resp, e.m.CookieName())
	if c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Fatalf("destroy: got cookie %v, want an expired, empty one", c)
	}
	if !strings.Contains(resp.Header.Get("Set-Cookie"), "Path=/") {
		t.Errorf("deletion cookie lacks the session cookie's Path")
	}
	if got := e.get("/get?k=a"); got != "<missing>" {
		t.Errorf("after destroy: got %q, want <missing>", got)
	}
	resp, _ = e.do(e.client, "GET", "/destroy")
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Errorf("destroying a session the client never had set a cookie: %v", c)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: 30 * time.Minute, TouchInterval: time.Minute})
	e.get("/set?k=a&v=1")
	// Activity inside the idle timeout keeps the session alive past it.
	for range 4 {
		e.clock.Advance(20 * time.Minute)
		if got := e.get("/get?k=a"); got != "1" {
			t.Fatalf("active session: got %q, want 1", got)
		}
	}
	e.clock.Advance(30 * time.Minute)
	if got := e.get("/get?k=a"); got != "<missing>" {
		t.Errorf("idle session: got %q, want <missing>", got)
	}
}

func TestAbsoluteLifetime(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: 30 * time.Minute, Lifetime: 2 * time.Hour, TouchInterval: time.Minute})
	e.get("/set?k=a&v=1")
	for range 5 {
		e.clock.Advance(20 * time.Minute)
		if got := e.get("/get?k=a"); got != "1" {
			t.Fatalf("inside lifetime: got %q, want 1", got)
		}
	}
	e.clock.Advance(20 * time.Minute) // 2h after creation
	if got := e.get("/get?k=a"); got != "<missing>" {
		t.Errorf("past lifetime: got %q, want <missing>", got)
	}
}

// TestLoginRestartsLifetime checks that a change of user starts the
// absolute lifetime again, and that setting the same user does not.
func TestLoginRestartsLifetime(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: 30 * time.Minute, Lifetime: 2 * time.Hour, TouchInterval: time.Minute})
	e.get("/set?k=a&v=1")
	for range 3 {
		e.clock.Advance(20 * time.Minute)
		e.get("/get?k=a")
	}
	e.get("/user?u=ada") // 1h after creation
	for i := range 4 {
		e.clock.Advance(20 * time.Minute)
		e.get("/user?u=ada") // the same user: no restart
		if got := e.get("/get?k=a"); got != "1" {
			t.Fatalf("%d minutes after login: got %q, want 1", 20*(i+1), got)
		}
	}
	e.clock.Advance(40 * time.Minute) // 2h after login
	if got := e.get("/get?k=a"); got != "<missing>" {
		t.Errorf("2h after login: got %q, want <missing>", got)
	}
}

func TestBrowserMaxAgeDoesNotExtendSession(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: 30 * time.Minute})
	resp, _ := e.do(e.client, "GET", "/set?k=a&v=1")
	c := sessionCookie(resp, e.m.CookieName())
	e.clock.Advance(31 * time.Minute)
	// A client that ignores cookie expiry and replays the token.
	resp, body := e.do(e.srv.Client(), "GET", "/get?k=a", &http.Cookie{Name: c.Name, Value: c.Value})
	if body != "<missing>" || resp.StatusCode != 200 {
		t.Errorf("replayed idle token: status %d body %q, want 200 <missing>", resp.StatusCode, body)
	}
}

func TestShorterOptionsCutExistingSessions(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	long := newEnvWithKeys(t, keys, session.Options{IdleTimeout: 10 * time.Hour, Lifetime: 10 * time.Hour})
	resp, _ := long.do(long.client, "GET", "/set?k=a&v=1")
	c := sessionCookie(resp, long.m.CookieName())
	short := newEnvWithKeys(t, keys, session.Options{IdleTimeout: time.Hour, Lifetime: time.Hour})
	short.clock.Advance(2 * time.Hour)
	if _, body := short.do(short.client, "GET", "/get?k=a", c); body != "<missing>" {
		t.Errorf("token sealed under longer timeouts: got %q, want <missing>", body)
	}
}

// TestSealedDeadlinesAreBoundedByOptions checks that a session sealed under
// longer timeouts gets the deadlines of the current options, counted from
// its own times, as soon as it is loaded: what the handler sees, and the
// cookie's Max-Age when it is saved again, never reach past them.
func TestSealedDeadlinesAreBoundedByOptions(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	long := newEnvWithKeys(t, keys, session.Options{IdleTimeout: 10 * time.Hour, Lifetime: 10 * time.Hour})
	long.get("/persist")
	c := long.jarCookie(long.client)
	short := newEnvWithKeys(t, keys, session.Options{IdleTimeout: time.Hour, Lifetime: time.Hour})
	short.clock.Advance(30 * time.Minute)
	resp, _ := short.do(short.srv.Client(), "GET", "/set?k=a&v=1", c)
	got := sessionCookie(resp, short.m.CookieName())
	if want := start.Add(time.Hour); got == nil || got.MaxAge != 1800 || !got.Expires.Equal(want) {
		t.Errorf("re-saved cookie: got %v, want Max-Age 1800 and Expires %v, the end of the current lifetime", got, want)
	}
}

// TestFutureTimesAreNotTrusted checks that a token whose times lie more
// than the minute of skew allowed ahead of the verifier's clock is refused as expired: a
// server whose clock runs fast must not issue sessions that outlive the
// options on the others, nor logins that a revocation stamp made later on
// a correct clock cannot reach.
func TestFutureTimesAreNotTrusted(t *testing.T) {
	tests := []struct {
		name  string
		ahead time.Duration // how far the sealing server's clock runs fast
		later time.Duration // when the token is used, on a correct clock
		want  string
	}{
		{"sealed a year ahead, used 30 days later", 365 * 24 * time.Hour, 30 * 24 * time.Hour, "<missing>"},
		{"login on a server 2h fast", 2 * time.Hour, 0, "<missing>"},
		{"one second beyond the skew", time.Minute + time.Second, 0, "<missing>"},
		{"within the skew", time.Minute, 0, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := keyrotation.Generate()
			if err != nil {
				t.Fatal(err)
			}
			fast := newEnvWithKeys(t, keys, session.Options{})
			fast.clock.Advance(tt.ahead)
			fast.get("/user?u=ada")
			fast.get("/set?k=a&v=1")
			c := fast.jarCookie(fast.client)

			correct := newEnvWithKeys(t, keys, session.Options{})
			correct.clock.Advance(tt.later)
			if _, got := correct.do(correct.srv.Client(), "GET", "/get?k=a", c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if rejected := strings.Contains(correct.logs.String(), "reason=expired"); rejected != (tt.want == "<missing>") {
				t.Errorf("logged as expired: %v, want %v; log: %s", rejected, tt.want == "<missing>", correct.logs)
			}
		})
	}
}

func TestPersistentCookie(t *testing.T) {
	e := newEnv(t, session.Options{IdleTimeout: time.Hour})
	resp, _ := e.do(e.client, "GET", "/persist")
	c := sessionCookie(resp, e.m.CookieName())
	if c == nil || c.MaxAge != 3600 || !c.Expires.Equal(start.Add(time.Hour)) {
		t.Fatalf("persistent cookie: got %v, want Max-Age 3600 and Expires one hour on", c)
	}
}

func TestKeyRotationResealsUnderNewPrimary(t *testing.T) {
	e := newEnv(t, session.Options{})
	oldKid := e.keys.Keys()[0].ID
	e.get("/set?k=a&v=1")
	sealedUnderA := e.jarCookie(e.client)
	if got := kidOf(t, sealedUnderA.Value); got != oldKid {
		t.Fatalf("token kid %d, want primary %d", got, oldKid)
	}
	newKid := testkit.Rotate(t, e.keys)
	resp, body := e.do(e.client, "GET", "/get?k=a")
	if body != "1" {
		t.Fatalf("old token after promote: got %q, want 1", body)
	}
	c := sessionCookie(resp, e.m.CookieName())
	if c == nil {
		t.Fatal("token under the old primary was not re-sealed")
	}
	if got := kidOf(t, c.Value); got != newKid {
		t.Errorf("re-sealed token kid %d, want new primary %d", got, newKid)
	}
	resp, _ = e.do(e.client, "GET", "/get?k=a")
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Errorf("token under the primary was re-sealed again")
	}
	// Once the old key is disabled, the old token opens nothing.
	if err := e.keys.Disable(oldKid); err != nil {
		t.Fatal(err)
	}
	if _, body := e.do(e.srv.Client(), "GET", "/get?k=a", sealedUnderA); body != "<missing>" {
		t.Errorf("token under a disabled key: got %q, want <missing>", body)
	}
	if got := e.get("/get?k=a"); got != "1" {
		t.Errorf("re-sealed token after disabling the old key: got %q, want 1", got)
	}
}

func TestRejectedCookiesGiveFreshSession(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/set?k=a&v=1")
	good := e.jarCookie(e.client).Value
	other, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	foreign := newEnvWithKeys(t, other, session.Options{})
	foreign.get("/set?k=a&v=1")
	store, err := cookiestore.New(e.keys)
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: "other"}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r, s := testkit.Load(t, renamed, nil)
	s.Set("a", "1")
	otherName := testkit.Save(t, renamed, r, s).Value
	flipped := []byte(good)
	flipped[len(flipped)/2] ^= 'A' ^ 'B'
	if flipped[len(flipped)/2] == good[len(good)/2] {
		flipped[len(flipped)/2] = 'C'
	}
	cases := map[string]string{
		"malformed":         "not a token!",
		"truncated":         good[:len(good)-5],
		"tampered":          string(flipped),
		"padded":            good + "==",
		"unknown key":       foreign.jarCookie(foreign.client).Value,
		"other cookie name": otherName,
		"empty":             "",
		"oversized":         strings.Repeat("A", 10000),
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			e.logs.Reset()
			req, _ := http.NewRequest("GET", e.srv.URL+"/get?k=a", nil)
			req.Header.Set("Cookie", e.m.CookieName()+"="+value)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "<missing>" {
				t.Errorf("got status %d body %q, want 200 <missing>", resp.StatusCode, body)
			}
			if value != "" && len(value) > 8 && strings.Contains(e.logs.String(), value[:8]) {
				t.Errorf("log contains the token: %s", e.logs)
			}
		})
	}
	if !strings.Contains(e.logs.String(), "reason=") {
		t.Errorf("rejections were not logged with a reason: %s", e.logs)
	}
}

func TestFirstValidDuplicateCookieWins(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/set?k=a&v=first")
	first := e.jarCookie(e.client).Value
	c2 := e.newClient()
	e.do(c2, "GET", "/set?k=a&v=second")
	second := e.jarCookie(c2).Value
	name := e.m.CookieName()
	cases := []struct {
		name, header, want string
	}{
		{"invalid then valid", name + "=garbage; " + name + "=" + second, "second"},
		{"two valid", name + "=" + first + "; " + name + "=" + second, "first"},
		{"separate headers", "", "second"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/get?k=a", nil)
			if tc.header != "" {
				req.Header.Set("Cookie", tc.header)
			} else {
				req.Header.Add("Cookie", "other=1; "+name+"=bad")
				req.Header.Add("Cookie", name+"="+second)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != tc.want {
				t.Errorf("got %q, want %q", body, tc.want)
			}
		})
	}
}

func TestSaveFailureKeepsOldCookie(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/set?k=a&v=1")
	before := e.jarCookie(e.client).Value
	resp, body := e.do(e.client, "GET", "/big")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status: got %d, want 500", resp.StatusCode)
	}
	if strings.Contains(body, "handler body") || strings.Contains(body, "4096") {
		t.Errorf("error body %q leaks the handler's output or the error", body)
	}
	if c := sessionCookie(resp, e.m.CookieName()); c != nil {
		t.Errorf("failed save set a cookie")
	}
	if got := e.jarCookie(e.client).Value; got != before {
		t.Errorf("client's cookie changed after a failed save")
	}
	if got := e.get("/get?k=a"); got != "1" {
		t.Errorf("value after failed save: got %q, want 1", got)
	}
}

func TestCustomErrorHandlerGetsTooLarge(t *testing.T) {
	var got error
	e := newEnv(t, session.Options{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		http.Error(w, "too big", http.StatusRequestEntityTooLarge)
	}})
	resp, _ := e.do(e.client, "GET", "/big")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status: got %d, want 413", resp.StatusCode)
	}
	var se *session.SizeError
	if !errors.Is(got, session.ErrTooLarge) || !errors.As(got, &se) || se.Limit != 4096 || se.Size <= 4096 {
		t.Errorf("error handler got %v, want a *SizeError over 4096 matching ErrTooLarge", got)
	}
}

func TestFlushSendsCookieFirst(t *testing.T) {
	e := newEnv(t, session.Options{})
	resp, body := e.do(e.client, "GET", "/flush")
	if body != "part1,part2" {
		t.Errorf("body: got %q", body)
	}
	if sessionCookie(resp, e.m.CookieName()) == nil {
		t.Fatal("flushed response has no session cookie")
	}
	if got := e.get("/get?k=flushed"); got != "yes" {
		t.Errorf("value set before flush: got %q, want yes", got)
	}
}

func TestHijackPassesThrough(t *testing.T) {
	e := newEnv(t, session.Options{})
	resp, body := e.do(e.client, "GET", "/hijack")
	if body != "hijacked" {
		t.Fatalf("body: got %q, want hijacked", body)
	}
	if sessionCookie(resp, e.m.CookieName()) == nil {
		t.Fatal("hijacked response lacks the session cookie")
	}
	if got := e.get("/get?k=hijacked"); got != "yes" {
		t.Errorf("value set before hijack: got %q, want yes", got)
	}
}

func TestEarlyHintsDoNotCommit(t *testing.T) {
	e := newEnv(t, session.Options{})
	if _, body := e.do(e.client, "GET", "/early-hints"); body != "final" {
		t.Fatalf("body: got %q", body)
	}
	if got := e.get("/get?k=after-hints"); got != "yes" {
		t.Errorf("value set after 103: got %q, want yes", got)
	}
}

func TestLateChangeIsLogged(t *testing.T) {
	e := newEnv(t, session.Options{})
	if _, body := e.do(e.client, "GET", "/late"); body != "written" {
		t.Fatalf("body %q", body)
	}
	if !strings.Contains(e.logs.String(), "changed after the response was written") {
		t.Errorf("late change not logged: %s", e.logs)
	}
	if got := e.get("/get?k=late"); got != "<missing>" {
		t.Errorf("late change: got %q, want it lost", got)
	}
}

func TestConcurrentSetsInOneRequest(t *testing.T) {
	e := newEnv(t, session.Options{})
	e.get("/concurrent")
	for i := range 20 {
		if got := e.get(fmt.Sprintf("/get?k=k%02d", i)); got != fmt.Sprint(i) {
			t.Errorf("k%02d: got %q, want %d", i, got, i)
		}
	}
}

// unavailableStore is a Store whose backend is down.
type unavailableStore struct{ session.Store }

func (unavailableStore) Load(context.Context, string, string, time.Time) (*session.Record, error) {
	return nil, fmt.Errorf("dialing: %w", session.ErrStoreUnavailable)
}

func TestUnavailableStoreFailsWithoutTouchingCookie(t *testing.T) {
	m, err := session.NewManager(unavailableStore{}, session.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	called := false
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: "sometoken"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status: got %d, want 503", rec.Code)
	}
	if called {
		t.Error("handler ran with no session")
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Set-Cookie on a failed load: %q", got)
	}
}

// TestUnavailableStoreAsksForRetry: a 503 from the default error handler
// tells clients and proxies when to come back, so that they do not retry a
// failed store at once.
func TestUnavailableStoreAsksForRetry(t *testing.T) {
	m, err := session.NewManager(unavailableStore{}, session.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: "sometoken"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("Retry-After"); rec.Code != http.StatusServiceUnavailable || got != "5" {
		t.Errorf("status %d, Retry-After %q; want 503, \"5\"", rec.Code, got)
	}
	conflict := httptest.NewRecorder()
	session.DefaultErrorHandler(conflict, req, session.ErrConflict)
	if got := conflict.Header().Get("Retry-After"); got != "" {
		t.Errorf("409 with Retry-After %q, want none: a conflict may be retried at once", got)
	}
}

func TestDefaultErrorHandlerStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("dialing: %w", session.ErrStoreUnavailable), http.StatusServiceUnavailable},
		{fmt.Errorf("store: %w", session.ErrConflict), http.StatusConflict},
		{&session.SizeError{Size: 5000, Limit: session.MaxCookieSize}, http.StatusInternalServerError},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("X-Secret", "handler header")
		session.DefaultErrorHandler(rec, httptest.NewRequest("GET", "/", nil), c.err)
		if rec.Code != c.want || rec.Header().Get("X-Secret") != "" || strings.Contains(rec.Body.String(), "5000") {
			t.Errorf("%v: status %d, headers %v, body %q; want %d, no handler headers, a generic body",
				c.err, rec.Code, rec.Header(), rec.Body, c.want)
		}
	}
}

func TestLoadAndSaveWithoutMiddleware(t *testing.T) {
	m := newManager(t)
	s, err := m.Load(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("n", 42); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, httptest.NewRequest("GET", "/", nil), s); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	s2, err := m.Load(req)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := session.Value[int](s2, "n"); n != 42 || !ok || err != nil {
		t.Errorf("Value: got %d, %v, %v; want 42, true, nil", n, ok, err)
	}
	if s2.ID() != s.ID() {
		t.Errorf("ID changed across Save and Load")
	}
}

func TestNewManagerOptions(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		store session.Store
		opts  session.Options
		ok    bool
	}{
		{"zero value", store, session.Options{}, true},
		{"nil store", nil, session.Options{}, false},
		{"negative idle", store, session.Options{IdleTimeout: -time.Second}, false},
		{"negative lifetime", store, session.Options{Lifetime: -time.Second}, false},
		{"negative touch", store, session.Options{TouchInterval: -time.Second}, false},
		{"sub-second idle", store, session.Options{IdleTimeout: time.Millisecond}, false},
		{"idle over lifetime", store, session.Options{IdleTimeout: 2 * time.Hour, Lifetime: time.Hour}, false},
		{"touch over idle", store, session.Options{IdleTimeout: time.Hour, TouchInterval: 2 * time.Hour}, false},
		{"touch under a second", store, session.Options{TouchInterval: 500 * time.Millisecond}, false},
		{"short lifetime lowers default idle", store, session.Options{Lifetime: time.Hour}, true},
		{"host prefix over http", store, session.Options{Cookie: session.CookieOptions{Name: "__Host-session", AllowInsecureHTTP: true}}, false},
		{"host prefix with domain", store, session.Options{Cookie: session.CookieOptions{Domain: "example.com"}}, false},
		{"host prefix with path", store, session.Options{Cookie: session.CookieOptions{Path: "/app"}}, false},
		{"plain name", store, session.Options{Cookie: session.CookieOptions{Name: "sid"}}, true},
		{"plain name over http", store, session.Options{Cookie: session.CookieOptions{Name: "sid", AllowInsecureHTTP: true}}, true},
		{"plain name with domain and path", store, session.Options{Cookie: session.CookieOptions{Name: "sid", Domain: "example.com", Path: "/app"}}, true},
		{"secure prefix over http", store, session.Options{Cookie: session.CookieOptions{Name: "__Secure-s", AllowInsecureHTTP: true}}, false},
		{"bad name", store, session.Options{Cookie: session.CookieOptions{Name: "a b"}}, false},
		{"name of 256 bytes", store, session.Options{Cookie: session.CookieOptions{Name: strings.Repeat("n", 256)}}, true},
		{"name over 256 bytes", store, session.Options{Cookie: session.CookieOptions{Name: strings.Repeat("n", 257)}}, false},
		{"path without slash", store, session.Options{Cookie: session.CookieOptions{Name: "sid", Path: "app"}}, false},
		{"path with semicolon", store, session.Options{Cookie: session.CookieOptions{Name: "sid", Path: "/a;b"}}, false},
		{"bad domain", store, session.Options{Cookie: session.CookieOptions{Name: "sid", Domain: "exa mple.com"}}, false},
		{"SameSite None over http", store, session.Options{Cookie: session.CookieOptions{Name: "sid", SameSite: http.SameSiteNoneMode, AllowInsecureHTTP: true}}, false},
		{"SameSite default mode", store, session.Options{Cookie: session.CookieOptions{SameSite: http.SameSiteDefaultMode}}, false},
		{"SameSite strict", store, session.Options{Cookie: session.CookieOptions{SameSite: http.SameSiteStrictMode}}, true},
		{"partitioned over http", store, session.Options{Cookie: session.CookieOptions{Name: "sid", Partitioned: true, AllowInsecureHTTP: true}}, false},
		{"partitioned", store, session.Options{Cookie: session.CookieOptions{Partitioned: true}}, true},
		{"insecure default name", store, session.Options{Cookie: session.CookieOptions{AllowInsecureHTTP: true}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := session.NewManager(tc.store, tc.opts)
			if tc.ok && err != nil {
				t.Errorf("got error %v, want none", err)
			}
			if !tc.ok && (err == nil || m != nil) {
				t.Errorf("got no error, want one")
			}
		})
	}
}

// TestNewSessionDefaults checks the defaults Options documents: 24 hours
// idle, 7 days in all.
func TestNewSessionDefaults(t *testing.T) {
	e := newEnv(t, session.Options{})
	_, s := testkit.Load(t, e.m, nil)
	if s.Mode() != session.ModeCookie || s.User() != "" || s.Revocable() || session.Persistent(s) || len(s.Keys()) != 0 {
		t.Errorf("new session not empty: mode %v user %q", s.Mode(), s.User())
	}
	if !s.StartedAt().Equal(start) {
		t.Errorf("StartedAt: got %v, want %v", s.StartedAt(), start)
	}
	if want := start.Add(24 * time.Hour); !s.IdleDeadline().Equal(want) {
		t.Errorf("IdleDeadline: got %v, want %v", s.IdleDeadline(), want)
	}
	if want := start.Add(7 * 24 * time.Hour); !s.Deadline().Equal(want) {
		t.Errorf("Deadline: got %v, want %v", s.Deadline(), want)
	}
}

func TestHijackUnsupportedReportsError(t *testing.T) {
	e := newEnv(t, session.Options{})
	h := e.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack on a recorder: got %v, want ErrNotSupported", err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
