package hybrid_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

// calls is a backend that counts the calls made to it, by method.
type calls struct {
	serverstore.Backend
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) add(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[method]++
}

// take returns the calls counted since the last take.
func (c *calls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func (c *calls) Get(ctx context.Context, key []byte) (*serverstore.Document, error) {
	c.add("Get")
	return c.Backend.Get(ctx, key)
}

func (c *calls) Insert(ctx context.Context, doc *serverstore.Document) error {
	c.add("Insert")
	return c.Backend.Insert(ctx, doc)
}

func (c *calls) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	c.add("Update")
	return c.Backend.Update(ctx, doc, version)
}

func (c *calls) Delete(ctx context.Context, key []byte, version int64) (bool, error) {
	c.add("Delete")
	return c.Backend.Delete(ctx, key, version)
}

func (c *calls) ListUser(ctx context.Context, user []byte) ([]serverstore.Document, error) {
	c.add("ListUser")
	return c.Backend.ListUser(ctx, user)
}

func (c *calls) DeleteUser(ctx context.Context, user []byte) (int64, error) {
	c.add("DeleteUser")
	return c.Backend.DeleteUser(ctx, user)
}

func (c *calls) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	c.add("GetStamp")
	return c.Backend.GetStamp(ctx, key)
}

func (c *calls) RaiseStamp(ctx context.Context, key []byte, st *serverstore.Stamp) (*serverstore.Stamp, error) {
	c.add("RaiseStamp")
	return c.Backend.RaiseStamp(ctx, key, st)
}

func (c *calls) DropEnded(ctx context.Context, key []byte, handles []string) error {
	c.add("DropEnded")
	return c.Backend.DropEnded(ctx, key, handles)
}

// devices is a fleet of two hybrid servers over one memstore backend,
// which counts the calls of the first.
type devices struct {
	keys   *keyrotation.Keyring
	clock  *testkit.Clock
	b      serverstore.Backend
	calls  *calls
	server *serverstore.Store // the first server's
	store  *hybrid.Store      // the first server's
	m      *session.Manager   // the first server's
	other  *session.Manager   // the second server's, with a cache of its own
}

func newDevices(t *testing.T) *devices {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	d := &devices{keys: keys, clock: testkit.NewClock(time.Now().Truncate(time.Second)), b: memstore.New(memstore.Options{})}
	d.calls = &calls{Backend: d.b, n: map[string]int{}}
	d.server, d.store, d.m = d.node(t, d.calls)
	_, _, d.other = d.node(t, d.b)
	return d
}

// node returns the stores and Manager of one server over b.
func (d *devices) node(t *testing.T, b serverstore.Backend) (*serverstore.Store, *hybrid.Store, *session.Manager) {
	t.Helper()
	server, err := serverstore.New(d.keys, b, serverstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	store, err := hybrid.New(d.keys, server, hybrid.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{Now: d.clock.Now, Logger: quiet,
		Cookie: session.CookieOptions{Name: cookieName, AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	return server, store, m
}

// login logs user in on a new session through m, in the server when
// revocable, and returns the session and its cookie.
func (d *devices) login(t *testing.T, m *session.Manager, user string, revocable bool) (*session.Session, *http.Cookie) {
	t.Helper()
	r, s := testkit.Load(t, m, nil)
	s.Renew()
	s.SetUser(user)
	s.SetRevocable(revocable)
	c := testkit.Save(t, m, r, s)
	if want := map[bool]session.Mode{false: session.ModeCookie, true: session.ModeServer}[revocable]; s.Mode() != want {
		t.Fatalf("%s logged in: mode %v, want %v", user, s.Mode(), want)
	}
	return s, c
}

// works reports whether m accepts the cookie as the user's session.
func works(t *testing.T, m *session.Manager, c *http.Cookie, user string) bool {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	s, err := m.Load(r)
	return err == nil && s.User() == user
}

func (d *devices) sessions(t *testing.T, user string) []serverstore.Info {
	t.Helper()
	infos, err := d.server.Sessions(ctx, user, d.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return infos
}

// TestCookieSessionsAreListed: a logged-in session in its cookie is
// listed with the user's server sessions, under the handle of its ID,
// with its start, its client and its absolute deadline.
func TestCookieSessionsAreListed(t *testing.T) {
	d := newDevices(t)
	inCookie, _ := d.login(t, d.m, "alice", false)
	d.clock.Advance(time.Second)
	onServer, _ := d.login(t, d.other, "alice", true)
	d.login(t, d.m, "bob", false)
	infos := d.sessions(t, "alice")
	if len(infos) != 2 {
		t.Fatalf("Sessions(alice): %+v; want her two sessions", infos)
	}
	if in := infos[0]; in.Handle != serverstore.Handle(onServer.ID()) || in.Mode != session.ModeServer {
		t.Errorf("first listed: %+v; want the server session, used last", in)
	}
	in := infos[1]
	if in.Handle != serverstore.Handle(inCookie.ID()) || in.Mode != session.ModeCookie {
		t.Errorf("second listed: %+v; want the cookie session", in)
	}
	if !in.Created.Equal(inCookie.StartedAt()) || !in.ExpiresAt.Equal(inCookie.Deadline()) || in.IP != "192.0.2.1" {
		t.Errorf("cookie session listed as %+v; want created %v, expiring at its deadline %v, from 192.0.2.1",
			in, inCookie.StartedAt(), inCookie.Deadline())
	}
}

// TestOrdinaryRequestsCostNoDatabaseCall: a logged-in cookie session
// costs one insert at its login, and none on the requests that follow
// while its user's stamp is cached, whatever they change.
func TestOrdinaryRequestsCostNoDatabaseCall(t *testing.T) {
	d := newDevices(t)
	_, c := d.login(t, d.m, "alice", false)
	if got := d.calls.take(); got["Insert"] != 1 || len(got) != 1 {
		t.Errorf("backend calls of a login: %v; want one Insert", got)
	}
	r, s := testkit.Load(t, d.m, c)
	s.Set("cart", "one")
	c = testkit.Save(t, d.m, r, s)
	if got := d.calls.take(); got["GetStamp"] != 1 || len(got) != 1 {
		t.Errorf("backend calls of the first request: %v; want the stamp read alone", got)
	}
	for i := range 10 {
		d.clock.Advance(time.Second)
		r, s := testkit.Load(t, d.m, c)
		if err := s.Set("cart", strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
		c = testkit.Save(t, d.m, r, s)
	}
	if got := d.calls.take(); len(got) != 0 {
		t.Errorf("backend calls of 10 requests that change the cart: %v; want none", got)
	}
	r, s = testkit.Load(t, d.m, c)
	s.Renew()
	c = testkit.Save(t, d.m, r, s)
	if got := d.calls.take(); got["Insert"] != 1 || got["Delete"] != 1 {
		t.Errorf("backend calls of a renewal: %v; want the new entry inserted and the old one deleted", got)
	}
	if infos := d.sessions(t, "alice"); len(infos) != 1 || infos[0].Handle != serverstore.Handle(s.ID()) {
		t.Errorf("Sessions after Renew: %+v; want the renewed session alone", infos)
	}
}

// TestRevokeHandleEndsCookieSession: ending a cookie session from a
// listing refuses its cookie on the server that ended it at once, and on
// another within its cache's lifetime, and drops it from the listing;
// the user's other sessions keep working.
func TestRevokeHandleEndsCookieSession(t *testing.T) {
	d := newDevices(t)
	phone, phoneCookie := d.login(t, d.m, "alice", false)
	_, laptop := d.login(t, d.m, "alice", false)
	if !works(t, d.other, phoneCookie, "alice") {
		t.Fatal("the phone's cookie does not work on the other server")
	}
	if err := d.store.RevokeHandle(ctx, "alice", serverstore.Handle(phone.ID()), d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if works(t, d.m, phoneCookie, "alice") {
		t.Error("the ended session's cookie still works on the server that ended it")
	}
	d.clock.Advance(time.Minute + time.Second)
	if works(t, d.other, phoneCookie, "alice") {
		t.Error("the ended session's cookie still works on the other server after its cache's lifetime")
	}
	if !works(t, d.other, laptop, "alice") {
		t.Error("alice's other session was ended too")
	}
	if infos := d.sessions(t, "alice"); len(infos) != 1 || infos[0].Handle == serverstore.Handle(phone.ID()) {
		t.Errorf("Sessions after RevokeHandle: %+v; want the laptop alone", infos)
	}
}

// TestDeviceEntryOfAnotherUser: a user cannot end another user's cookie
// session with its handle, nor anything with a forged handle.
func TestDeviceEntryOfAnotherUser(t *testing.T) {
	d := newDevices(t)
	alice, c := d.login(t, d.m, "alice", false)
	if err := d.store.RevokeHandle(ctx, "bob", serverstore.Handle(alice.ID()), d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	forged := make([]byte, 32)
	rand.Read(forged)
	if err := d.store.RevokeHandle(ctx, "alice", base64.RawURLEncoding.EncodeToString(forged), d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := d.store.RevokeHandle(ctx, "alice", "not a handle", d.clock.Now()); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("malformed handle: got %v, want ErrInvalid", err)
	}
	if !works(t, d.m, c, "alice") || len(d.sessions(t, "alice")) != 1 {
		t.Error("bob's revoke, or a forged handle, ended alice's session")
	}
}

// TestReferenceTokenAfterMoveToCookie: a reference token left from the
// time a session lived on the server is refused once the session has
// moved back to its cookie and left a device entry under the same key,
// rather than opening the entry as the session.
func TestReferenceTokenAfterMoveToCookie(t *testing.T) {
	d := newDevices(t)
	_, c := d.login(t, d.m, "alice", false)
	r, s := testkit.Load(t, d.m, c)
	s.Set("big", strings.Repeat("x", 5000))
	ref := testkit.Save(t, d.m, r, s)
	if s.Mode() != session.ModeServer {
		t.Fatalf("mode %v, want the session on the server", s.Mode())
	}
	r, s = testkit.Load(t, d.m, ref)
	s.Delete("big")
	testkit.Save(t, d.m, r, s)
	if s.Mode() != session.ModeCookie {
		t.Fatalf("mode %v, want the session back in its cookie", s.Mode())
	}
	infos := d.sessions(t, "alice")
	if len(infos) != 1 || infos[0].Mode != session.ModeCookie {
		t.Fatalf("Sessions after the move back: %+v; want the session, in its cookie", infos)
	}
	if _, err := d.store.Load(ctx, cookieName, ref.Value, d.clock.Now()); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("old reference token: got %v, want ErrInvalid", err)
	}
}

// TestDeviceEntryEndsWithTheSession: a device entry is not listed past
// its session's deadline and is then cleaned up; a logout and a Destroy
// drop it at once; RevokeUser deletes it.
func TestDeviceEntryEndsWithTheSession(t *testing.T) {
	d := newDevices(t)
	d.login(t, d.m, "alice", false)
	d.clock.Advance(7*24*time.Hour + time.Second)
	if infos := d.sessions(t, "alice"); len(infos) != 0 {
		t.Errorf("Sessions past the deadline: %+v; want none", infos)
	}
	if n, err := d.server.DeleteExpired(ctx, d.clock.Now()); err != nil || n != 1 {
		t.Errorf("DeleteExpired: %d, %v; want the entry", n, err)
	}

	_, c := d.login(t, d.m, "alice", false)
	r, s := testkit.Load(t, d.m, c)
	s.SetUser("")
	testkit.Save(t, d.m, r, s)
	if infos := d.sessions(t, "alice"); len(infos) != 0 {
		t.Errorf("Sessions after logout: %+v; want none", infos)
	}

	_, c = d.login(t, d.m, "alice", false)
	r, s = testkit.Load(t, d.m, c)
	s.Destroy()
	w := httptest.NewRecorder()
	if err := d.m.Save(w, r, s); err != nil {
		t.Fatal(err)
	}
	if infos := d.sessions(t, "alice"); len(infos) != 0 {
		t.Errorf("Sessions after Destroy: %+v; want none", infos)
	}

	d.login(t, d.m, "alice", false)
	d.login(t, d.m, "alice", true)
	if n, err := d.m.RevokeUser(ctx, "alice"); err != nil || n != 2 {
		t.Errorf("RevokeUser: %d, %v; want the cookie session's entry and the server session", n, err)
	}
	if infos := d.sessions(t, "alice"); len(infos) != 0 {
		t.Errorf("Sessions after RevokeUser: %+v; want none", infos)
	}
}

// TestRewrapKeepsDeviceEntries: Rewrap re-seals a device entry under the
// new primary key as an entry, so that the old key can be disabled and the
// cookie session stays listed, and never as a session's record.
func TestRewrapKeepsDeviceEntries(t *testing.T) {
	d := newDevices(t)
	alice, _ := d.login(t, d.m, "alice", false)
	old, _, err := d.keys.Primary(keyrotation.PurposeRecord)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Rotate(t, d.keys)
	if n, err := d.server.Rewrap(ctx, nil); err != nil || n != 1 {
		t.Fatalf("Rewrap: %d, %v; want the device entry re-sealed", n, err)
	}
	if err := d.keys.Disable(old); err != nil {
		t.Fatal(err)
	}
	infos := d.sessions(t, "alice")
	if len(infos) != 1 || infos[0].Handle != serverstore.Handle(alice.ID()) || infos[0].Mode != session.ModeCookie {
		t.Errorf("Sessions after Rewrap and disabling the old key: %+v; want alice's session, in its cookie", infos)
	}
	if n, err := d.server.Rewrap(ctx, nil); err != nil || n != 0 {
		t.Errorf("second Rewrap: %d, %v; want nothing left to re-seal", n, err)
	}
}

// TestRenewAfterRevokeHandleStaysEnded: a server whose cached stamp
// predates the end of a cookie session by RevokeHandle accepts its cookie
// until the cache expires; a Renew there must not give the ended session a
// new ID, which no stamp names, and so keep it for good. The save fails as
// a renewal of an ended server session does.
func TestRenewAfterRevokeHandleStaysEnded(t *testing.T) {
	d := newDevices(t)
	alice, c := d.login(t, d.m, "alice", false)
	if !works(t, d.other, c, "alice") {
		t.Fatal("alice's cookie does not work on the other server")
	}
	if err := d.store.RevokeHandle(ctx, "alice", serverstore.Handle(alice.ID()), d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r, s := testkit.Load(t, d.other, c)
	if s.User() != "alice" {
		t.Fatal("the other server's cached stamp already refuses the ended session")
	}
	s.Renew()
	if err := d.other.Save(httptest.NewRecorder(), r, s); !errors.Is(err, session.ErrConflict) {
		t.Errorf("renewing the ended session on a server with a stale cache: got %v, want ErrConflict", err)
	}
	if infos := d.sessions(t, "alice"); len(infos) != 0 {
		t.Errorf("Sessions after the renewal: %+v; want none", infos)
	}
}

// TestRenewIntoServerDropsTheEntry: a logged-in cookie session renewed
// and moved to the server in one save leaves no device entry under its old
// ID, which would stay listed until its deadline.
func TestRenewIntoServerDropsTheEntry(t *testing.T) {
	d := newDevices(t)
	_, c := d.login(t, d.m, "alice", false)
	r, s := testkit.Load(t, d.m, c)
	s.Renew()
	s.SetRevocable(true)
	testkit.Save(t, d.m, r, s)
	if infos := d.sessions(t, "alice"); len(infos) != 1 || infos[0].Handle != serverstore.Handle(s.ID()) || infos[0].Mode != session.ModeServer {
		t.Errorf("Sessions after a renewal into the server: %+v; want the session alone, on the server", infos)
	}
}
