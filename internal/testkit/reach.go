package testkit

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sessionseal/session"
)

// Reach measures how far "log out everywhere" reaches across a fleet of
// servers, each a Manager of its own stores over one database, reading
// the real clock. It logs user in on fleet[0], in a cookie session, loads
// that cookie on every other server, so that each caches the user's
// stamp, then revokes the user on fleet[0] and returns, for each other
// server, the time from the revocation until it refused the cookie. A
// server that still accepts the cookie limit after the revocation fails
// the test.
func Reach(t testing.TB, fleet []*session.Manager, user string, limit time.Duration) []time.Duration {
	t.Helper()
	r, s := Load(t, fleet[0], nil)
	s.SetUser(user)
	c := Save(t, fleet[0], r, s)
	if s.Mode() != session.ModeCookie {
		t.Fatalf("the session of %s is in mode %v, want a cookie session", user, s.Mode())
	}
	accepts := func(m *session.Manager) bool {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(c)
		s, err := m.Load(r)
		return err == nil && s.User() == user
	}
	for i, m := range fleet {
		if !accepts(m) {
			t.Fatalf("server %d refuses the cookie before the revocation", i)
		}
	}
	start := time.Now()
	if _, err := fleet[0].RevokeUser(t.Context(), user); err != nil {
		t.Fatal(err)
	}
	reach := make([]time.Duration, len(fleet)-1)
	for i, m := range fleet[1:] {
		for accepts(m) {
			if time.Since(start) > limit {
				t.Fatalf("server %d still accepts the revoked cookie %v after the revocation", i+1, limit)
			}
			time.Sleep(time.Millisecond)
		}
		reach[i] = time.Since(start)
	}
	return reach
}
