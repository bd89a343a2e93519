package session_test

import (
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

// newManager returns a Manager over a cookie store on a test clock.
func newManager(t testing.TB) *session.Manager {
	t.Helper()
	_, m := clockManager(t, session.Options{})
	return m
}

// roundTrip saves s through m and loads it back, reporting whether the
// save wrote a cookie.
func roundTrip(t *testing.T, m *session.Manager, s *session.Session) (*session.Session, bool) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := m.Save(rec, httptest.NewRequest("GET", "/", nil), s); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		return s, false
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookies[0])
	loaded, err := m.Load(req)
	if err != nil {
		t.Fatal(err)
	}
	return loaded, true
}

func TestSetRejectsUnencodableValues(t *testing.T) {
	s := newManager(t).NewSession()
	cases := map[string]any{"channel": make(chan int), "func": func() {}, "NaN": math.NaN()}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			if err := s.Set("k", v); err == nil {
				t.Error("got no error")
			}
			if len(s.Keys()) != 0 {
				t.Errorf("failed Set stored a key: %v", s.Keys())
			}
		})
	}
}

func TestGetWrongTypeIsAnError(t *testing.T) {
	s := newManager(t).NewSession()
	if err := s.Set("n", "not a number"); err != nil {
		t.Fatal(err)
	}
	n, ok, err := session.Value[int](s, "n")
	if !ok || err == nil || n != 0 {
		t.Errorf("Value[int] of a string: got %d, %v, %v; want 0, true, an error", n, ok, err)
	}
}

func TestUnchangedValueCausesNoSave(t *testing.T) {
	m := newManager(t)
	s := m.NewSession()
	s.Set("a", 1)
	loaded, wrote := roundTrip(t, m, s)
	if !wrote {
		t.Fatal("changed session not saved")
	}
	loaded.Set("a", 1)
	if _, wrote := roundTrip(t, m, loaded); wrote {
		t.Error("setting an equal value saved the session")
	}
	loaded.Set("a", 2)
	if _, wrote := roundTrip(t, m, loaded); !wrote {
		t.Error("setting a different value did not save the session")
	}
}

func TestChangedKeys(t *testing.T) {
	m := newManager(t)
	s := m.NewSession()
	for _, k := range []string{"a", "b", "c"} {
		s.Set(k, k)
	}
	loaded, _ := roundTrip(t, m, s)
	if set, del := loaded.ChangedKeys(); len(set)+len(del) != 0 {
		t.Errorf("freshly loaded: got set %v deleted %v, want none", set, del)
	}
	loaded.Set("b", "B")
	loaded.Set("d", "d")
	loaded.Delete("a")
	loaded.Delete("missing")
	set, del := loaded.ChangedKeys()
	if !slices.Equal(set, []string{"b", "d"}) || !slices.Equal(del, []string{"a"}) {
		t.Errorf("got set %v deleted %v, want [b d] [a]", set, del)
	}
	loaded.Set("a", 1)
	if set, del := loaded.ChangedKeys(); !slices.Equal(set, []string{"a", "b", "d"}) || len(del) != 0 {
		t.Errorf("after re-setting a: got set %v deleted %v", set, del)
	}
	loaded.Clear()
	if set, del := loaded.ChangedKeys(); len(set) != 0 || !slices.Equal(del, []string{"a", "b", "c", "d"}) {
		t.Errorf("after Clear: got set %v deleted %v", set, del)
	}
}

func TestMetadataSurvivesRoundTrip(t *testing.T) {
	m := newManager(t)
	s := m.NewSession()
	s.SetUser("alice")
	s.SetRevocable(true)
	s.SetPersistent(true)
	s.AddFlash("one")
	loaded, _ := roundTrip(t, m, s)
	if loaded.User() != "alice" || !loaded.Revocable() || !loaded.Persistent() || loaded.ID() != s.ID() {
		t.Errorf("got user %q revocable %v persistent %v", loaded.User(), loaded.Revocable(), loaded.Persistent())
	}
	if !loaded.CreatedAt().Equal(s.CreatedAt()) {
		t.Errorf("CreatedAt: got %v, want %v", loaded.CreatedAt(), s.CreatedAt())
	}
	if f := loaded.Flashes(); !slices.Equal(f, []string{"one"}) {
		t.Errorf("Flashes: got %v", f)
	}
}

func TestRenewAndDestroyTrackPreviousID(t *testing.T) {
	m := newManager(t)
	s := m.NewSession()
	s.Set("a", 1)
	if s.Renew(); s.PreviousID() != "" {
		t.Errorf("renewing a never-saved session: PreviousID %q, want none", s.PreviousID())
	}
	loaded, _ := roundTrip(t, m, s)
	id := loaded.ID()
	loaded.Renew()
	if loaded.PreviousID() != id || loaded.ID() == id {
		t.Errorf("after Renew: ID %q previous %q, want new ID and previous %q", loaded.ID(), loaded.PreviousID(), id)
	}
	again, _ := roundTrip(t, m, loaded)
	if again.PreviousID() != "" {
		t.Errorf("after save: PreviousID %q, want none", again.PreviousID())
	}
	id = again.ID()
	again.Destroy()
	if len(again.Keys()) != 0 || again.PreviousID() != id {
		t.Errorf("after Destroy: keys %v previous %q", again.Keys(), again.PreviousID())
	}
	again.Set("b", 2)
	if again.ID() == id || again.PreviousID() != id {
		t.Errorf("Set after Destroy: ID %q, want a new one; previous %q, want %q", again.ID(), again.PreviousID(), id)
	}
	if v, ok, _ := session.Value[int](again, "b"); !ok || v != 2 {
		t.Errorf("value set after Destroy: got %d, %v", v, ok)
	}
}

func TestRestoreRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {1}, {2, 0}, []byte("not a payload")} {
		if _, err := session.Restore(b, session.ModeCookie); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("Restore(%q): got %v, want ErrInvalid", b, err)
		}
	}
}

func TestMarshalRestoreRoundTrip(t *testing.T) {
	s := newManager(t).NewSession()
	for i := range 5 {
		s.Set(fmt.Sprintf("k%d", 4-i), i)
	}
	b, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r, err := session.Restore(b, session.ModeServer)
	if err != nil {
		t.Fatal(err)
	}
	if r.Mode() != session.ModeServer || !slices.Equal(r.Keys(), []string{"k0", "k1", "k2", "k3", "k4"}) {
		t.Errorf("got mode %v keys %v", r.Mode(), r.Keys())
	}
	if session.ModeServer.String() != "server" || session.ModeCookie.String() != "cookie" {
		t.Errorf("Mode strings: %v %v", session.ModeServer, session.ModeCookie)
	}
}

// clockManager returns a Manager over a cookie store, both on a test
// clock, with opts otherwise.
func clockManager(t testing.TB, opts session.Options) (*testkit.Clock, *session.Manager) {
	t.Helper()
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	store, err := cookiestore.New(keys, cookiestore.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = clock.Now
	m, err := session.NewManager(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return clock, m
}

// TestRebase checks what a session keeps of its own and takes from a newer
// copy when a server store merges concurrent saves: its own changed values
// and metadata, and the other copy's for the rest, including the restarted
// lifetime of a login made by the other request.
func TestRebase(t *testing.T) {
	clock, m := clockManager(t, session.Options{})
	base := m.NewSession()
	base.Set("a", 1)
	base.Set("gone", 1)
	data, _ := base.MarshalBinary()
	restore := func(b []byte) *session.Session {
		s, err := session.Restore(slices.Clone(b), session.ModeServer)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	created := clock.Now()

	// The other request logs ada in an hour later and sets b.
	clock.Advance(time.Hour)
	other := restore(data)
	other.SetUser("ada")
	other.Set("b", 2)
	if _, err := m.Token(httptest.NewRequest("GET", "/", nil), other); err != nil {
		t.Fatal(err)
	}
	latestData, _ := other.MarshalBinary()
	latest := restore(latestData)
	latest.SetRevision(2)

	s := restore(data)
	s.Set("c", 3)
	s.Delete("gone")
	s.Rebase(latest)
	if got, want := s.Keys(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("keys: got %q, want %q", got, want)
	}
	if s.User() != "ada" || !s.CreatedAt().Equal(clock.Now()) || s.Revision() != 2 {
		t.Errorf("after Rebase: user %q created %v revision %d; want ada, %v (the login), 2", s.User(), s.CreatedAt(), s.Revision(), clock.Now())
	}

	// A request that changed the user itself keeps its own.
	own := restore(data)
	own.SetUser("bob")
	own.Rebase(latest)
	if own.User() != "bob" || !own.CreatedAt().Equal(created) {
		t.Errorf("own login: user %q created %v; want bob, %v", own.User(), own.CreatedAt(), created)
	}
}

// TestRebaseMovesIdleCap: a save near the end of the session's lifetime
// has its idle deadline capped by that end; when it merges with a login
// made meanwhile, which moved the end, the idle deadline follows.
func TestRebaseMovesIdleCap(t *testing.T) {
	clock, m := clockManager(t, session.Options{IdleTimeout: time.Hour, Lifetime: 2 * time.Hour})
	base := m.NewSession()
	data, _ := base.MarshalBinary()
	clock.Advance(110 * time.Minute) // 10 minutes before the end of the lifetime
	req := httptest.NewRequest("GET", "/", nil)
	login, _ := session.Restore(slices.Clone(data), session.ModeServer)
	login.SetUser("ada")
	plain, _ := session.Restore(slices.Clone(data), session.ModeServer)
	plain.Set("c", 3)
	for _, s := range []*session.Session{login, plain} {
		if _, err := m.Token(req, s); err != nil {
			t.Fatal(err)
		}
	}
	if want := clock.Now().Add(10 * time.Minute); !plain.ExpiresAt().Equal(want) {
		t.Fatalf("before Rebase: expires %v, want %v (the end of the lifetime)", plain.ExpiresAt(), want)
	}
	latestData, _ := login.MarshalBinary()
	latest, _ := session.Restore(latestData, session.ModeServer)
	plain.Rebase(latest)
	if want := clock.Now().Add(time.Hour); !plain.ExpiresAt().Equal(want) {
		t.Errorf("after Rebase onto the login: expires %v, want %v (the idle timeout)", plain.ExpiresAt(), want)
	}
}

// TestTokenOfDestroyedSession: a destroyed session has no token to issue
// until it changes, which starts a new session.
func TestTokenOfDestroyedSession(t *testing.T) {
	m := newManager(t)
	req := httptest.NewRequest("GET", "/", nil)
	s := m.NewSession()
	s.Set("a", 1)
	if _, err := m.Token(req, s); err != nil {
		t.Fatal(err)
	}
	s.Destroy()
	if _, err := m.Token(req, s); !errors.Is(err, session.ErrDestroyed) {
		t.Errorf("Token after Destroy: got %v, want ErrDestroyed", err)
	}
	old := s.ID()
	s.AddFlash("logged out")
	if _, err := m.Token(req, s); err != nil || s.ID() == old || len(s.Keys()) != 0 {
		t.Errorf("Token after Destroy and a change: %v, ID kept %v, keys %v; want a new, empty session", err, s.ID() == old, s.Keys())
	}
}
