package testkit

import (
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
)

// Spill drives a logged-in session of m, a Manager over a hybrid store
// whose server store is backed by the database named where, through a
// spill and back: too large for its cookie it moves to the database, and
// it returns to the cookie when it shrinks, leaving its device entry in
// place of its record; spilled again, the user's revocation deletes it,
// and refuses both its token and the cookie it started in. count returns
// the number of records in the database; clock is m's.
func Spill(t *testing.T, m *session.Manager, where string, count func() int64, clock *Clock) {
	t.Helper()
	r, s := Load(t, m, nil)
	s.SetUser("alice")
	if err := s.Set("small", "x"); err != nil {
		t.Fatal(err)
	}
	c := Save(t, m, r, s)
	if s.Mode() != session.ModeCookie || count() != 1 {
		t.Fatalf("a small session: mode %v, %d records; want the cookie and its device entry", s.Mode(), count())
	}
	small := c

	r, s = Load(t, m, c)
	if err := s.Set("big", strings.Repeat("x", 5000)); err != nil {
		t.Fatal(err)
	}
	c = Save(t, m, r, s)
	if s.Mode() != session.ModeServer || count() != 1 {
		t.Fatalf("a 5000-byte session: mode %v, %d records; want it in %s", s.Mode(), count(), where)
	}
	r, s = Load(t, m, c)
	if big, _, _ := session.Value[string](s, "big"); len(big) != 5000 || s.Mode() != session.ModeServer {
		t.Fatalf("loaded from %s: mode %v, %d bytes of big; want 5000 from the server", where, s.Mode(), len(big))
	}

	s.Delete("big")
	c = Save(t, m, r, s)
	if s.Mode() != session.ModeCookie || count() != 1 {
		t.Errorf("after it shrank: mode %v, %d records; want the cookie and its device entry", s.Mode(), count())
	}
	_, s = Load(t, m, c)
	if got, _, _ := session.Value[string](s, "small"); got != "x" || s.Mode() != session.ModeCookie {
		t.Errorf("back in the cookie: mode %v, small %q; want the cookie and x", s.Mode(), got)
	}

	r, s = Load(t, m, c)
	if err := s.Set("big", strings.Repeat("y", 5000)); err != nil {
		t.Fatal(err)
	}
	c = Save(t, m, r, s)
	id := s.ID()
	clock.Advance(2 * time.Second)
	if n, err := m.RevokeUser(t.Context(), "alice"); n != 1 || err != nil {
		t.Fatalf("RevokeUser: %d, %v; want the record in %s", n, err, where)
	}
	if _, s = Load(t, m, c); s.ID() == id || count() != 0 {
		t.Errorf("after RevokeUser: loaded %q, %d records; want a new session and none", s.ID(), count())
	}
	if _, s = Load(t, m, small); s.ID() == id {
		t.Errorf("after RevokeUser: the first cookie still loads session %q", s.ID())
	}
}
