package hybrid_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/serverstore"
)

// rememberMe returns a Manager over store whose sessions may choose
// timeouts up to 90 days with SetLifetime, and last a day otherwise.
func (d *devices) rememberMe(t *testing.T, store *hybrid.Store) *session.Manager {
	t.Helper()
	m, err := session.NewManager(store, session.Options{Now: d.clock.Now, Logger: quiet,
		Lifetime: 24 * time.Hour, MaxLifetime: 90 * 24 * time.Hour,
		Cookie: session.CookieOptions{Name: cookieName, AllowInsecureHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// extend calls SetLifetime on the session of c through m, in a request of
// its own after the login, and returns the session and its new cookie.
func extend(t *testing.T, m *session.Manager, c *http.Cookie, revocable bool) (*session.Session, *http.Cookie, error) {
	t.Helper()
	r, s := testkit.Load(t, m, c)
	s.SetLifetime(30*24*time.Hour, 90*24*time.Hour)
	if revocable {
		s.SetRevocable(true)
	}
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		return s, nil, err
	}
	for _, nc := range w.Result().Cookies() {
		if nc.Name == cookieName {
			return s, nc, nil
		}
	}
	t.Fatal("Save set no cookie")
	return nil, nil, nil
}

// TestSetLifetimeMovesDeviceEntryDeadline: a logged-in cookie session
// that lengthens its lifetime after its login keeps a device entry with
// its new deadline, so that it stays listed, and so that RevokeHandle
// ends it until that deadline rather than the old one: past the old
// deadline, when the stamp that names it has expired, its cookie must
// still be refused.
func TestSetLifetimeMovesDeviceEntryDeadline(t *testing.T) {
	d := newDevices(t)
	m := d.rememberMe(t, d.store)
	_, c := d.login(t, m, "alice", false)
	d.clock.Advance(time.Hour)
	s, c, err := extend(t, m, c, false)
	if err != nil {
		t.Fatal(err)
	}
	infos := d.sessions(t, "alice")
	if len(infos) != 1 || !infos[0].ExpiresAt.Equal(s.Deadline()) {
		t.Errorf("Sessions after SetLifetime: %+v; want the session, expiring at its deadline %v", infos, s.Deadline())
	}
	if err := d.store.RevokeHandle(ctx, "alice", serverstore.Handle(s.ID()), d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(24*time.Hour + time.Minute)
	if _, err := d.server.DeleteExpired(ctx, d.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if works(t, m, c, "alice") {
		t.Error("the ended session's cookie works again past its old deadline")
	}
}

// TestSetLifetimeAfterRevokeHandleStaysEnded: a server whose cached stamp
// predates the end of a cookie session by RevokeHandle accepts its cookie
// until the cache expires; a SetLifetime there must not lengthen the
// ended session past the time its stamp names it, nor list it again,
// whether the session stays in its cookie or moves to the server in the
// same save (SetRevocable). The save fails as a renewal of an ended
// session does.
func TestSetLifetimeAfterRevokeHandleStaysEnded(t *testing.T) {
	for _, intoServer := range []bool{false, true} {
		d := newDevices(t)
		m := d.rememberMe(t, d.store)
		_, otherStore, _ := d.node(t, d.b)
		other := d.rememberMe(t, otherStore)
		alice, c := d.login(t, m, "alice", false)
		if !works(t, other, c, "alice") {
			t.Fatal("alice's cookie does not work on the other server")
		}
		if err := d.store.RevokeHandle(ctx, "alice", serverstore.Handle(alice.ID()), d.clock.Now()); err != nil {
			t.Fatal(err)
		}
		_, extended, err := extend(t, other, c, intoServer)
		if !errors.Is(err, session.ErrConflict) {
			t.Errorf("into the server %v: lengthening the ended session on a server with a stale cache: got %v, want ErrConflict", intoServer, err)
		}
		if infos := d.sessions(t, "alice"); len(infos) != 0 {
			t.Errorf("into the server %v: Sessions after SetLifetime: %+v; want none", intoServer, infos)
		}
		if extended == nil {
			continue
		}
		d.clock.Advance(24*time.Hour + time.Minute)
		if _, err := d.server.DeleteExpired(ctx, d.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if works(t, m, extended, "alice") {
			t.Errorf("into the server %v: the ended session's lengthened token works past its old deadline", intoServer)
		}
	}
}
