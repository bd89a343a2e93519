package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// installChromium is the command that installs the browser of TestBrowser on
// Debian and Ubuntu.
const installChromium = "apt-get update && apt-get install -y --no-install-recommends chromium"

// chromiumPath returns the Chromium (or Chrome) binary named by the CHROMIUM
// environment variable or found on PATH. Without one the test fails on CI
// (CI=true) and is skipped elsewhere.
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("no Chromium on this CI machine: install it with %q, or set CHROMIUM to its path", installChromium)
	}
	t.Skipf("no Chromium on this machine: install it with %q, or set CHROMIUM to its path", installChromium)
	return ""
}

// tab is a browser tab on the shop.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// open loads the page at path.
func (b tab) open(path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+path)); err != nil {
		b.t.Fatalf("opening %s: %v", path, err)
	}
}

// submit clicks the first button that matches sel and waits for the page that
// the form's POST redirects to.
func (b tab) submit(sel string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("submitting %s: %v", sel, err)
	}
}

// text returns the text of the element with the id.
func (b tab) text(id string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("reading #%s: %v", id, err)
	}
	return strings.TrimSpace(s)
}

// eval returns the value of the JavaScript expression js on the page.
func (b tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return s
}

// flash returns the text of the page's first flash message.
func (b tab) flash() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS("p.flash")))
	if err != nil {
		b.t.Fatalf("reading the flash: %v", err)
	}
	return s
}

// number returns the number in the element with the id.
func (b tab) number(id string) int {
	b.t.Helper()
	n, err := strconv.Atoi(b.text(id))
	if err != nil {
		b.t.Fatalf("#%s: %v", id, err)
	}
	return n
}

// login logs in as user from the catalogue.
func (b tab) login(user string) { b.t.Helper(); b.logIn(user, false) }

// logIn logs in as user from the catalogue, ticking "remember me" if
// remember.
func (b tab) logIn(user string, remember bool) {
	b.t.Helper()
	b.open("/")
	if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.CSS("#login input[name=user]"), user)); err != nil {
		b.t.Fatal(err)
	}
	if remember {
		if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS("#login input[name=remember]"), chromedp.NodeVisible)); err != nil {
			b.t.Fatal(err)
		}
	}
	b.submit("#login button")
	if got := b.text("user"); got != user {
		b.t.Fatalf("after logging in as %q the page shows user %q", user, got)
	}
}

// sessionCookie returns the session cookie as the browser keeps it.
func (b tab) sessionCookie() *network.Cookie {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base}})
	if err != nil {
		b.t.Fatalf("reading the cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == cookieName {
			return c
		}
	}
	b.t.Fatal("the browser holds no session cookie")
	return nil
}

// screenshot saves a PNG of the whole page as name in the directory that
// SHOP_SCREENSHOTS names, if it is set.
func (b tab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("SHOP_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowser drives the shop in headless Chromium: a cart that spills to
// MongoDB and comes back, then, from a second browser context, which has
// cookies of its own, the first one's session listed in its cookie and
// revoked, and "log out everywhere". Set SHOP_SCREENSHOTS to a directory to
// keep screenshots of the cart in both modes and of the sessions page.
func TestBrowser(t *testing.T) {
	path := chromiumPath(t)
	ts := startShop(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // Chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctxA, cancelA := chromedp.NewContext(allocCtx)
	defer cancelA()
	a := tab{t: t, ctx: ctxA, base: ts.url}

	a.login("ada")
	if c := a.sessionCookie(); !c.Session {
		t.Errorf("a login without remember me: cookie expires %v, want a browser-session cookie", c.Expires)
	}
	for i := 0; a.text("mode") != "MongoDB"; i++ {
		if i == 60 {
			t.Fatalf("still in the cookie with %d lines", a.number("cart-count"))
		}
		a.submit("#item-" + catalogue[i%len(catalogue)].SKU + " form.add button")
	}
	lines := a.number("cart-count")
	t.Logf("the cart moved to MongoDB at %d lines", lines)
	if size := a.number("cookie-size"); size >= 200 {
		t.Errorf("MongoDB mode: the page shows a cookie of %d bytes, want under 200", size)
	}
	a.open("/cart")
	a.screenshot("shop-mongo.png")
	for a.text("mode") != "cookie" {
		if n := a.number("cart-count"); n <= lines-10 {
			t.Fatalf("still in MongoDB with %d lines", n)
		}
		a.submit("form.remove button")
	}
	if size := a.number("cookie-size"); size < 3000 {
		t.Errorf("back in the cookie: the page shows a cookie of %d bytes, want a full one", size)
	}
	a.screenshot("shop-cookie.png")

	// A second browser context: an incognito profile with its own cookies.
	ctxB, cancelB := chromedp.NewContext(ctxA, chromedp.WithNewBrowserContext())
	defer cancelB()
	b := tab{t: t, ctx: ctxB, base: ts.url}
	b.login("ada")
	b.open("/sessions")
	b.screenshot("shop-sessions.png")
	rows := b.eval(`Array.from(document.querySelectorAll("#sessions tbody tr"), r => (r.className || "other") + ":" + r.querySelector("td.where").textContent).join(" ")`)
	if rows != "other:cookie current:cookie" && rows != "current:cookie other:cookie" {
		t.Fatalf("B's sessions page lists %q; want A's session and its own, both in their cookie", rows)
	}
	b.submit("#sessions tr:not(.current) form.revoke button")
	if flash := b.flash(); !strings.Contains(flash, "Session ended") {
		t.Errorf("B after revoking A's session: flash %q", flash)
	}
	if err := chromedp.Do(ctxA, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if user, n := a.text("user"), a.number("cart-count"); user != "" || n != 0 {
		t.Errorf("A after B revoked its cookie session: user %q, %d lines; want logged out", user, n)
	}

	a.login("ada")
	b.open("/")
	b.submit("#logout-everywhere button")
	if user, flash := b.text("user"), b.flash(); user != "" || !strings.Contains(flash, "Logged out everywhere") {
		t.Errorf("B after log out everywhere: user %q, flash %q", user, flash)
	}

	if err := chromedp.Do(ctxA, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if user, n := a.text("user"), a.number("cart-count"); user != "" || n != 0 {
		t.Errorf("A after B logged out everywhere: user %q, %d lines; want logged out", user, n)
	}

	// Remember me, in a third context: a persistent cookie that the
	// browser keeps for the 30 days of the session's own idle timeout.
	// The revocation covers the second it was made in: log in in the next.
	ts.clock.Advance(time.Second)
	ctxC, cancelC := chromedp.NewContext(ctxA, chromedp.WithNewBrowserContext())
	defer cancelC()
	c := tab{t: t, ctx: ctxC, base: ts.url}
	c.logIn("grace", true)
	if flash := c.flash(); !strings.Contains(flash, "for 30 days") {
		t.Errorf("after remember me: flash %q", flash)
	}
	ck := c.sessionCookie()
	want := time.Now().Add(rememberFor)
	if got := time.Unix(int64(ck.Expires), 0); ck.Session || got.Before(want.Add(-time.Minute)) || got.After(want.Add(time.Minute)) {
		t.Errorf("remember me: cookie session %v, expires %v; want a persistent cookie expiring about %v", ck.Session, got, want)
	}
}
