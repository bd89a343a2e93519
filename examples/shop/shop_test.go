package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/devmongo"
	"github.com/sessionseal/session/examples/internal/demotest"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

// testMongoURI is the MongoDB server of the tests: MONGODB_URI, or a devmongo
// server that TestMain starts.
var testMongoURI string

func TestMain(m *testing.M) { os.Exit(pgtest.Run(withDevmongo{m})) }

// withDevmongo runs the tests through runTests, inside pgtest.Run: each
// stops the server it started.
type withDevmongo struct{ m *testing.M }

func (w withDevmongo) Run() int { return runTests(w.m) }

// runTests runs the tests against MONGODB_URI, or against a devmongo server
// that it starts and stops around them.
func runTests(m *testing.M) int {
	testMongoURI = os.Getenv("MONGODB_URI")
	if testMongoURI == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		dev, err := devmongo.Start(ctx, devmongo.Options{})
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "shop tests: starting devmongo: %v\nSet MONGODB_URI to use a MongoDB server instead.\n", err)
			return 1
		}
		defer func() {
			if err := dev.Close(); err != nil {
				fmt.Fprintln(os.Stderr, "shop tests: closing devmongo:", err)
			}
		}()
		testMongoURI = dev.URI()
	}
	return m.Run()
}

// clock is the shop's clock in tests: the real time plus an offset that a
// test advances instead of sleeping.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// testShop is a shop served by httptest, on a database of its own.
type testShop struct {
	*shop
	url      string
	keysPath string
	clock    *clock
}

// startShop starts a shop with a new key ring file and an empty database,
// both removed when the test ends.
func startShop(t *testing.T) *testShop {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	keysPath := filepath.Join(t.TempDir(), "new-dir", "keys.json")
	db := "shoptest_" + strings.ToLower(rand.Text()[:12])
	c := &clock{}
	sh, err := newShop(ctx, config{KeysPath: keysPath, MongoURI: testMongoURI, Database: db, WatchInterval: 20 * time.Millisecond, Now: c.Now})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(sh.handler)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancelClose := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelClose()
		if err := sh.db.client.Database(db).Drop(ctx); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
		if err := sh.Close(ctx); err != nil {
			t.Errorf("closing the shop: %v", err)
		}
		cancel()
	})
	return &testShop{shop: sh, url: srv.URL, keysPath: keysPath, clock: c}
}

// sessionID opens a session token with the shop's store and Manager and
// returns the session's ID.
func (ts *testShop) sessionID(t *testing.T, token string) string {
	t.Helper()
	if _, err := ts.store.Load(t.Context(), cookieName, token, ts.now()); err != nil {
		t.Fatalf("loading the session of a token: %v", err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: cookieName, Value: token})
	s, err := ts.m.Load(r)
	if err != nil {
		t.Fatalf("loading the session of a token: %v", err)
	}
	return s.ID()
}

// visitor is one browser: a client with its own cookie jar.
type visitor struct {
	t    *testing.T
	ts   *testShop
	c    *http.Client
	last page
}

func (ts *testShop) visitor(t *testing.T) *visitor {
	return &visitor{t: t, ts: ts, c: demotest.Browser(t)}
}

// page is what a response showed.
type page struct {
	Code       int
	Body       string
	Mode       string
	CookieSize int
	KeyID      string
	TokenKind  string
	CartCount  int
	User       string
	Flashes    []string
}

var (
	reMode      = regexp.MustCompile(`id="mode">([^<]*)<`)
	reSize      = regexp.MustCompile(`id="cookie-size">(\d+)<`)
	reKeyID     = regexp.MustCompile(`id="kid">([^<]*)<`)
	reTokenKind = regexp.MustCompile(`id="token-kind" class="hint">\(([^)]*)\)<`)
	reCount     = regexp.MustCompile(`id="cart-count">(\d+)<`)
	reUser      = regexp.MustCompile(`id="user">([^<]*)<`)
	reFlash     = regexp.MustCompile(`<p class="flash">([^<]*)</p>`)
)

// parsePage reads the status bar and the flashes of a page.
func parsePage(code int, body string) page {
	p := page{Code: code, Body: body}
	field := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(body); m != nil {
			return html.UnescapeString(m[1])
		}
		return ""
	}
	p.Mode, p.KeyID, p.TokenKind, p.User = field(reMode), field(reKeyID), field(reTokenKind), field(reUser)
	p.CookieSize, _ = strconv.Atoi(field(reSize))
	p.CartCount, _ = strconv.Atoi(field(reCount))
	for _, m := range reFlash.FindAllStringSubmatch(body, -1) {
		p.Flashes = append(p.Flashes, html.UnescapeString(m[1]))
	}
	return p
}

// do sends a request, follows redirects, and checks that a page with a status
// bar describes the cookie the jar now holds.
func (v *visitor) do(req *http.Request) page {
	v.t.Helper()
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	p := parsePage(resp.StatusCode, string(body))
	if p.Code == http.StatusOK {
		if p.Mode == "" {
			v.t.Fatalf("%s %s: page without a status bar:\n%s", req.Method, req.URL.Path, body)
		}
		want := 0 // a visitor without a session, which a page view does not start
		if c := v.cookie(); c != "" {
			want = len(cookieName) + len(c)
		}
		if p.CookieSize != want {
			v.t.Errorf("%s %s: page shows a cookie of %d bytes, the jar holds %d", req.Method, req.URL.Path, p.CookieSize, want)
		}
		v.last = p
	}
	return p
}

func (v *visitor) get(path string) page {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.ts.url+path, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return v.do(req)
}

// send posts form as a browser submits one of the shop's forms: from the
// shop's own origin, which it names in Sec-Fetch-Site and Origin.
func (v *visitor) send(path string, form url.Values) page {
	v.t.Helper()
	return v.sendFrom(path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {v.ts.url}})
}

// sendFrom posts form with the headers h, which say where it comes from.
func (v *visitor) sendFrom(path string, form url.Values, h http.Header) page {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodPost, v.ts.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		v.t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

// post posts form as a browser submits one of the shop's forms, and fails
// the test unless the result is a page.
func (v *visitor) post(path string, form url.Values) page {
	v.t.Helper()
	p := v.send(path, form)
	if p.Code != http.StatusOK {
		v.t.Fatalf("POST %s: status %d, want a redirect to a page:\n%s", path, p.Code, p.Body)
	}
	return p
}

// cookie returns the value of the session cookie in the jar, or "".
func (v *visitor) cookie() string {
	u, err := url.Parse(v.ts.url)
	if err != nil {
		v.t.Fatal(err)
	}
	for _, c := range v.c.Jar.Cookies(u) {
		if c.Name == cookieName {
			return c.Value
		}
	}
	return ""
}

// login opens the shop and logs in as user.
func (v *visitor) login(user string) page {
	v.t.Helper()
	v.get("/")
	p := v.post("/login", url.Values{"user": {user}})
	if p.User != user {
		v.t.Fatalf("after logging in as %q the page shows user %q", user, p.User)
	}
	return p
}

// addUntilMongoDB adds items until the session lives in MongoDB, and returns
// that page.
func (v *visitor) addUntilMongoDB() page {
	v.t.Helper()
	p := v.last
	for i := 0; p.Mode != "MongoDB"; i++ {
		if i == 60 {
			v.t.Fatalf("still in the %s after %d lines (cookie %d bytes)", p.Mode, p.CartCount, p.CookieSize)
		}
		p = v.post("/cart/add", url.Values{"sku": {catalogue[i%len(catalogue)].SKU}, "qty": {"1"}})
	}
	return p
}

// hasFlash reports whether one of the page's flashes contains s.
func (p page) hasFlash(s string) bool {
	for _, f := range p.Flashes {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

func TestCartSpillsToMongoDBAndBack(t *testing.T) {
	ts := startShop(t)
	v := ts.visitor(t)
	v.login("ada")
	primary := strconv.FormatUint(uint64(ts.keys.Keys()[0].ID), 10)

	var p page
	for n := 1; p.Mode != "MongoDB"; n++ {
		if n > 60 {
			t.Fatalf("still in the cookie after %d lines (cookie %d bytes)", p.CartCount, p.CookieSize)
		}
		it := catalogue[n%len(catalogue)]
		p = v.post("/cart/add", url.Values{"sku": {it.SKU}, "qty": {"2"}})
		if p.CartCount != n {
			t.Fatalf("after %d adds the page shows %d lines", n, p.CartCount)
		}
		if !p.hasFlash("Added 2 × " + it.Name) {
			t.Errorf("after adding %s: flashes %q", it.Name, p.Flashes)
		}
		if p.Mode == "cookie" && (p.TokenKind != "sealed session" || p.KeyID != primary) {
			t.Errorf("cookie mode at %d lines: token %q key %q, want a sealed session under key %s", n, p.TokenKind, p.KeyID, primary)
		}
	}
	t.Logf("the session moved to MongoDB at %d lines; cookie now %d bytes", p.CartCount, p.CookieSize)
	if p.CartCount < 25 || p.CartCount > 40 {
		t.Errorf("the session moved to MongoDB at %d lines, want 25 to 40", p.CartCount)
	}
	if p.CookieSize >= 200 || p.TokenKind != "JWT reference" || p.KeyID != primary {
		t.Errorf("MongoDB mode: cookie %d bytes, token %q, key %q; want a JWT reference under 200 bytes signed by key %s",
			p.CookieSize, p.TokenKind, p.KeyID, primary)
	}
	if strings.Count(v.cookie(), ".") != 2 {
		t.Errorf("MongoDB mode: the cookie is not a JWT: %d bytes", len(v.cookie()))
	}
	infos, err := ts.server.Sessions(t.Context(), "ada", ts.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Handle != serverstore.Handle(ts.sessionID(t, v.cookie())) {
		t.Errorf("MongoDB mode: ada has %d sessions in MongoDB, want this one", len(infos))
	}
	cart := v.get("/cart")
	if got := strings.Count(cart.Body, `class="remove"`); got != p.CartCount {
		t.Errorf("cart page in MongoDB mode lists %d lines, want %d", got, p.CartCount)
	}

	lines := p.CartCount
	for removed := 1; p.Mode != "cookie"; removed++ {
		if removed > 10 {
			t.Fatalf("still in MongoDB after removing %d lines", removed-1)
		}
		p = v.post("/cart/remove", url.Values{"line": {strconv.Itoa(removed)}})
		if p.CartCount != lines-removed {
			t.Fatalf("after removing %d of %d lines the page shows %d", removed, lines, p.CartCount)
		}
	}
	if p.CookieSize < 3000 || p.CookieSize > session.MaxCookieSize || p.TokenKind != "sealed session" {
		t.Errorf("back in the cookie: %d bytes, token %q; want a sealed session of 3000 to 4096 bytes", p.CookieSize, p.TokenKind)
	}
	if infos, err := ts.server.Sessions(t.Context(), "ada", ts.now()); err != nil || len(infos) != 1 || infos[0].Mode != session.ModeCookie {
		t.Errorf("back in the cookie: ada's sessions %+v (err %v), want this one, in its cookie", infos, err)
	}
}

// TestCrossOriginPostsRefused: http.CrossOriginProtection in front of the
// Manager refuses a POST that a browser sends from another origin, and
// accepts one from the shop's own pages, or from a client that is not a
// browser (it sends neither header, and a cross-site page cannot make a
// browser omit both).
func TestCrossOriginPostsRefused(t *testing.T) {
	ts := startShop(t)
	v := ts.visitor(t)
	v.login("ada")
	add := url.Values{"sku": {catalogue[0].SKU}}
	tests := []struct {
		name string
		path string
		form url.Values
		h    http.Header
	}{
		{"cross-site add", "/cart/add", add, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}},
		{"same-site add", "/cart/add", add, http.Header{"Sec-Fetch-Site": {"same-site"}, "Origin": {"http://sub.127.0.0.1.example"}}},
		{"foreign Origin without Sec-Fetch-Site", "/cart/add", add, http.Header{"Origin": {"https://evil.example"}}},
		{"cross-site login", "/login", url.Values{"user": {"mallory"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"cross-site log out everywhere", "/logout-everywhere", url.Values{}, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := v.sendFrom(tt.path, tt.form, tt.h); p.Code != http.StatusForbidden {
				t.Errorf("POST %s: status %d, want 403", tt.path, p.Code)
			}
		})
	}
	if p := v.get("/cart"); p.CartCount != 0 || p.User != "ada" {
		t.Errorf("after refused POSTs: %d lines, user %q; want an empty cart, ada", p.CartCount, p.User)
	}
	if p := v.post("/cart/add", add); p.CartCount != 1 {
		t.Errorf("same-origin POST: %d lines, want 1", p.CartCount)
	}
	if p := v.sendFrom("/cart/add", add, nil); p.Code != http.StatusOK || p.CartCount != 2 {
		t.Errorf("POST without Sec-Fetch-Site or Origin: status %d, %d lines; want 200, 2", p.Code, p.CartCount)
	}
}

// TestRememberMe: the login form's "remember me" gives the session a
// persistent cookie for 30 days; a plain login, a browser-session cookie.
func TestRememberMe(t *testing.T) {
	ts := startShop(t)
	for _, c := range []struct {
		form   url.Values
		maxAge int
	}{
		{url.Values{"user": {"ada"}, "remember": {"1"}}, int(rememberFor / time.Second)},
		{url.Values{"user": {"bob"}}, 0},
	} {
		req, err := http.NewRequest(http.MethodPost, ts.url+"/login", strings.NewReader(c.form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var got *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == cookieName {
				got = ck
			}
		}
		if got == nil || got.MaxAge != c.maxAge {
			t.Errorf("login %v: cookie %v, want Max-Age %d", c.form, got, c.maxAge)
		}
	}
}

func TestLoginRenewsSession(t *testing.T) {
	for _, mode := range []string{"cookie", "MongoDB"} {
		t.Run(mode, func(t *testing.T) {
			ts := startShop(t)
			v := ts.visitor(t)
			v.get("/")
			before := v.post("/cart/add", url.Values{"sku": {catalogue[0].SKU}})
			if mode == "MongoDB" {
				before = v.addUntilMongoDB()
			}
			oldToken := v.cookie()
			oldID := ts.sessionID(t, oldToken)

			p := v.post("/login", url.Values{"user": {"grace"}})
			if p.User != "grace" || !p.hasFlash("Logged in as grace") {
				t.Fatalf("after login: user %q, flashes %q", p.User, p.Flashes)
			}
			if newID := ts.sessionID(t, v.cookie()); newID == oldID {
				t.Error("login kept the session ID")
			}
			if p.Mode != mode || p.CartCount != before.CartCount {
				t.Errorf("after login: %s, %d lines; want %s, %d lines", p.Mode, p.CartCount, mode, before.CartCount)
			}
			if mode == "MongoDB" {
				if _, err := ts.store.Load(t.Context(), cookieName, oldToken, ts.now()); !errors.Is(err, session.ErrInvalid) {
					t.Errorf("the reference from before the login: got %v, want ErrInvalid (its record deleted)", err)
				}
			}
		})
	}
}

func TestLogOutEverywhere(t *testing.T) {
	ts := startShop(t)
	inCookie := ts.visitor(t)
	inCookie.login("ada")
	inMongoDB := ts.visitor(t)
	inMongoDB.login("ada")
	inMongoDB.addUntilMongoDB()
	bob := ts.visitor(t)
	bob.login("bob")
	second := ts.visitor(t)
	second.login("ada")

	p := second.post("/logout-everywhere", url.Values{})
	// The MongoDB session, and the device entries of the two in their
	// cookie: this one's and the first's.
	if p.User != "" || !p.hasFlash("Logged out everywhere: 3 sessions listed in MongoDB deleted") {
		t.Errorf("after log out everywhere: user %q, flashes %q", p.User, p.Flashes)
	}
	for name, v := range map[string]*visitor{"cookie session": inCookie, "MongoDB session": inMongoDB} {
		if p := v.get("/"); p.User != "" || p.CartCount != 0 || p.Mode != "cookie" {
			t.Errorf("ada's %s after log out everywhere: user %q, %d lines, %s; want a new empty session", name, p.User, p.CartCount, p.Mode)
		}
	}
	if p := bob.get("/"); p.User != "bob" {
		t.Errorf("bob after ada logged out everywhere: user %q", p.User)
	}
	// A new login after the revocation works. The revocation covers the
	// whole second it was made in (stamps are rounded up), so log in in the
	// next one.
	ts.clock.Advance(time.Second)
	inCookie.login("ada")
	if p := inCookie.get("/cart"); p.User != "ada" {
		t.Errorf("logging in again after log out everywhere: user %q", p.User)
	}
}

func TestLogOut(t *testing.T) {
	ts := startShop(t)
	v := ts.visitor(t)
	v.login("ada")
	v.post("/cart/add", url.Values{"sku": {catalogue[0].SKU}})
	p := v.post("/logout", url.Values{})
	if p.User != "" || p.CartCount != 0 || !p.hasFlash("Logged out.") {
		t.Errorf("after log out: user %q, %d lines, flashes %q", p.User, p.CartCount, p.Flashes)
	}
}

func TestActiveSessions(t *testing.T) {
	ts := startShop(t)
	if p := ts.visitor(t).get("/sessions"); !strings.Contains(p.Body, "Log in to see") {
		t.Errorf("sessions page without a user:\n%s", p.Body)
	}
	phone := ts.visitor(t)
	phone.login("ada")
	phone.addUntilMongoDB()
	laptop := ts.visitor(t)
	laptop.login("ada")
	laptop.addUntilMongoDB()
	inCookie := ts.visitor(t)
	inCookie.login("ada")

	p := laptop.get("/sessions")
	own := serverstore.Handle(ts.sessionID(t, laptop.cookie()))
	other := serverstore.Handle(ts.sessionID(t, phone.cookie()))
	cookie := serverstore.Handle(ts.sessionID(t, inCookie.cookie()))
	if n := strings.Count(p.Body, `name="handle"`); n != 3 {
		t.Errorf("laptop's sessions page lists %d sessions, want 3 (the phone's, its own and the cookie session):\n%s", n, p.Body)
	}
	if n := strings.Count(p.Body, `<td class="where">cookie</td>`); n != 1 || !strings.Contains(p.Body, cookie) {
		t.Errorf("laptop's sessions page lists %d sessions in their cookie, want the cookie session's:\n%s", n, p.Body)
	}
	if !strings.Contains(p.Body, `<tr class="current"><td>this one</td>`) || !strings.Contains(p.Body, own) || !strings.Contains(p.Body, other) {
		t.Errorf("laptop's sessions page does not mark its own session or lacks the phone's:\n%s", p.Body)
	}
	if !strings.Contains(p.Body, "Go-http-client") || !strings.Contains(p.Body, "127.0.0.1") {
		t.Errorf("sessions page lacks the user agent or the IP:\n%s", p.Body)
	}
	if p := inCookie.get("/sessions"); !strings.Contains(p.Body, `<tr class="current"><td>this one</td><td class="where">cookie</td>`) {
		t.Errorf("sessions page of a cookie session does not mark it as this one, in its cookie:\n%s", p.Body)
	}

	p = laptop.post("/sessions/revoke", url.Values{"handle": {other}})
	if !p.hasFlash("Session ended") || p.User != "ada" {
		t.Errorf("after revoking the phone: user %q, flashes %q", p.User, p.Flashes)
	}
	if p := phone.get("/"); p.User != "" || p.CartCount != 0 {
		t.Errorf("phone after its session was revoked: user %q, %d lines", p.User, p.CartCount)
	}
	p = laptop.post("/sessions/revoke", url.Values{"handle": {own}})
	if p.User != "" || !p.hasFlash("You ended this session") {
		t.Errorf("after revoking its own session: user %q, flashes %q", p.User, p.Flashes)
	}
	if p := inCookie.get("/"); p.User != "ada" {
		t.Errorf("the cookie session after the others were revoked: user %q", p.User)
	}
	phone.login("ada")
	if p = phone.post("/sessions/revoke", url.Values{"handle": {cookie}}); !p.hasFlash("Session ended") {
		t.Errorf("after revoking the cookie session: flashes %q", p.Flashes)
	}
	if p := inCookie.get("/"); p.User != "" {
		t.Errorf("the cookie session after it was revoked: user %q, want logged out", p.User)
	}
}

func TestBadForms(t *testing.T) {
	ts := startShop(t)
	v := ts.visitor(t)
	v.get("/")
	tests := []struct {
		name string
		path string
		form url.Values
		code int
	}{
		{"unknown item", "/cart/add", url.Values{"sku": {"NOPE"}}, http.StatusBadRequest},
		{"note too long", "/cart/add", url.Values{"sku": {catalogue[0].SKU}, "note": {strings.Repeat("x", maxNote+1)}}, http.StatusBadRequest},
		{"quantity out of range", "/cart/add", url.Values{"sku": {catalogue[0].SKU}, "qty": {"100"}}, http.StatusBadRequest},
		{"quantity not a number", "/cart/add", url.Values{"sku": {catalogue[0].SKU}, "qty": {"two"}}, http.StatusBadRequest},
		{"note with a control character", "/cart/add", url.Values{"sku": {catalogue[0].SKU}, "note": {"a\x07b"}}, http.StatusBadRequest},
		{"form too large", "/cart/add", url.Values{"sku": {catalogue[0].SKU}, "note": {strings.Repeat("x", maxForm)}}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p := v.send(tt.path, tt.form); p.Code != tt.code {
				t.Errorf("status %d, want %d", p.Code, tt.code)
			}
		})
	}
	if p := v.post("/login", url.Values{"user": {"  "}}); p.User != "" || !p.hasFlash("Choose a user name") {
		t.Errorf("blank user name: user %q, flashes %q", p.User, p.Flashes)
	}
	if p := v.post("/cart/add", url.Values{"sku": {catalogue[1].SKU}, "qty": {"3"}, "note": {"for Grace"}}); p.CartCount != 1 {
		t.Errorf("adding with a note: %d lines, want 1", p.CartCount)
	}
	if p := v.get("/cart"); !strings.Contains(p.Body, "<td>3</td><td class=\"note\">for Grace</td>") {
		t.Errorf("cart page lacks the line's quantity and note:\n%s", p.Body)
	}
	if p := v.post("/cart/remove", url.Values{"line": {"99"}}); p.CartCount != 1 || !p.hasFlash("no longer in your cart") {
		t.Errorf("removing a line that is not there: %d lines, flashes %q", p.CartCount, p.Flashes)
	}
}

func TestKeyRotationAppliesLive(t *testing.T) {
	ts := startShop(t)
	fi, err := os.Stat(ts.keysPath)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("generated key ring file mode %v, want 0600", mode)
	}
	v := ts.visitor(t)
	v.login("ada")
	v.post("/cart/add", url.Values{"sku": {catalogue[0].SKU}})

	ring, err := keyrotation.LoadFile(ts.keysPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ring.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Promote(id); err != nil {
		t.Fatalf("promoting a new key of the generated ring at once: %v", err)
	}
	if err := ring.WriteFile(ts.keysPath); err != nil {
		t.Fatal(err)
	}
	want := strconv.FormatUint(uint64(id), 10)
	deadline := time.Now().Add(5 * time.Second)
	p := v.get("/cart")
	for p.KeyID != want {
		if time.Now().After(deadline) {
			t.Fatalf("the page still shows key %s five seconds after the rotation to %s", p.KeyID, want)
		}
		time.Sleep(20 * time.Millisecond)
		p = v.get("/cart")
	}
	if p.User != "ada" || p.CartCount != 1 {
		t.Errorf("after the rotation: user %q, %d lines; want the session kept", p.User, p.CartCount)
	}
}

func TestKeyID(t *testing.T) {
	tests := []struct {
		name, token, id, kind string
	}{
		{"sealed session", "AQB7zH-W" + strings.Repeat("A", 40), "2076999574", "sealed session"},
		{"JWT reference", "eyJhbGciOiJIUzI1NiIsImtpZCI6IjQyIn0.e30.sig", "42", "JWT reference"},
		{"too short", "AQB7", "", "unreadable"},
		{"not base64", "*****", "", "unreadable"},
		{"JWT with a bad header", "!!.e30.sig", "", "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, kind := keyID(tt.token)
			if id != tt.id || kind != tt.kind {
				t.Errorf("keyID: got %q, %q; want %q, %q", id, kind, tt.id, tt.kind)
			}
		})
	}
}
