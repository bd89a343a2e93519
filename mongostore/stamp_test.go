package mongostore_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
)

// TestConfigureBindsOneCookieName: a store that serves one cookie name
// refuses a Manager of another, whose tokens it could not tell apart.
func TestConfigureBindsOneCookieName(t *testing.T) {
	f := newFixture(t, nil)
	f.manager(t, session.Options{Cookie: session.CookieOptions{Name: "app", AllowInsecureHTTP: true}})
	f.manager(t, session.Options{Cookie: session.CookieOptions{Name: "app", AllowInsecureHTTP: true}})
	_, err := session.NewManager(f.store, session.Options{Cookie: session.CookieOptions{Name: "admin", AllowInsecureHTTP: true}})
	if err == nil || !strings.Contains(err.Error(), `"app"`) {
		t.Errorf("a second cookie name: got %v, want an error naming the first", err)
	}
}

// TestEndedSessionsStayBounded: a user who ends more sessions than a stamp
// names one by one is logged out everywhere instead, and the stamp stays
// small.
func TestEndedSessionsStayBounded(t *testing.T) {
	f := newFixture(t, nil)
	m := f.manager(t, session.Options{})
	end := func() {
		t.Helper()
		s := m.NewSession()
		s.SetUser("alice")
		tok, err := f.store.Save(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		r, s := testkit.Load(t, m, &http.Cookie{Name: m.CookieName(), Value: tok})
		s.Destroy()
		testkit.Save(t, m, r, s)
	}
	for range 100 {
		end()
	}
	st, err := f.store.Stamp(ctx, "alice")
	if err != nil || len(st.Ended) != 100 || !st.NotBefore.IsZero() {
		t.Fatalf("stamp after 100 ended sessions: %d named, not before %v, %v; want 100 named", len(st.Ended), st.NotBefore, err)
	}
	f.clock.Advance(time.Second)
	s := m.NewSession()
	s.SetUser("alice")
	if _, err := f.store.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	end()
	st, err = f.store.Stamp(ctx, "alice")
	if err != nil || len(st.Ended) != 0 || !s.CreatedAt().Before(st.NotBefore) {
		t.Errorf("stamp after the 101st: %d named, not before %v, %v; want none named, and a time after %v", len(st.Ended), st.NotBefore, err, s.CreatedAt())
	}
	var raw bson.Raw
	if err := f.coll.FindOne(ctx, bson.D{{Key: "notBefore", Value: bson.D{{Key: "$exists", Value: true}}}}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) > 200 {
		t.Errorf("stamp of %d bytes, want it small", len(raw))
	}
}
