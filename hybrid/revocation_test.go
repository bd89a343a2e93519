package hybrid_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/serverstore"
)

// freshServer returns a hybrid store on the fixture's collection with an
// empty revocation cache, as another server of the fleet would have.
func (f *fixture) freshServer(t *testing.T) *hybrid.Store {
	t.Helper()
	store, err := hybrid.New(f.keys, f.serverStore(t, serverstore.Options{}), hybrid.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// TestStampOnlyMovesForward: a second RevokeUser from a server whose clock
// is ten minutes slow must not move the user's stamp back, or a server
// with an empty cache would accept the cookie the first one revoked.
func TestStampOnlyMovesForward(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	_, _, alice := f.do(t, "/login?u=alice", nil)
	if _, err := f.m.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	slow := func() time.Time { return f.clock.Now().Add(-10 * time.Minute) }
	if _, err := f.otherServer(t, slow, serverstore.Options{}).RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(f.freshServer(t), alice.Value); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("revoked cookie after a slow server's RevokeUser: got %v, want ErrInvalid", err)
	}
}

// TestReferenceTokenBoundToCookieName: a reference token issued for the
// cookie "sid" is refused under "admin", by any store on the ring and
// collection.
func TestReferenceTokenBoundToCookieName(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	_, ref := f.aliceOnServer(t)
	if _, err := f.load(f.store, ref.Value); err != nil {
		t.Fatalf("reference token under its own cookie name: %v", err)
	}
	if _, err := f.freshServer(t).Load(ctx, "admin", ref.Value, f.clock.Now()); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("reference token issued for %q, loaded for \"admin\": got %v, want ErrInvalid", cookieName, err)
	}
}

// TestStampOutlivesManagerLifetime: with a Manager lifetime of 30 days, a
// cookie revoked by RevokeUser stays revoked after the default lifetime
// (7 days) and a cleanup of expired records.
func TestStampOutlivesManagerLifetime(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	const month = 30 * 24 * time.Hour
	m := f.manager(t, f.store, f.clock.Now, session.Options{Lifetime: month, IdleTimeout: month})
	r, s := testkit.Load(t, m, nil)
	s.SetUser("alice")
	alice := testkit.Save(t, m, r, s)
	if _, err := m.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	if _, err := f.server.DeleteExpired(ctx, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(f.freshServer(t), alice.Value); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("revoked cookie 8 days later, within the Manager's 30-day lifetime: got %v, want ErrInvalid", err)
	}
}

// TestEndingASessionEndsItsEarlierTokens: a session logged in while it
// lived in the cookie, then moved to MongoDB, then ended: the cookie token
// it had before the move no longer opens it, whether it was ended from a
// listing of the user's sessions or by Destroy; and a session ended while
// it lived in the cookie stays ended too.
func TestEndingASessionEndsItsEarlierTokens(t *testing.T) {
	end := map[string]func(t *testing.T, f *fixture, s *session.Session, ref *http.Cookie){
		"RevokeHandle": func(t *testing.T, f *fixture, s *session.Session, _ *http.Cookie) {
			if err := f.store.RevokeHandle(ctx, "alice", serverstore.Handle(s.ID()), f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		},
		"Destroy": func(t *testing.T, f *fixture, _ *session.Session, ref *http.Cookie) {
			r, s := testkit.Load(t, f.m, ref)
			s.Destroy()
			testkit.Save(t, f.m, r, s)
		},
	}
	for name, end := range end {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, hybrid.Options{})
			_, _, before := f.do(t, "/login?u=alice", nil)
			r, s := testkit.Load(t, f.m, before)
			s.Set("big", strings.Repeat("x", 5000))
			ref := testkit.Save(t, f.m, r, s)
			if s.Mode() != session.ModeServer {
				t.Fatalf("mode %v, want the session on the server", s.Mode())
			}
			end(t, f, s, ref)
			for label, store := range map[string]*hybrid.Store{"this server": f.store, "another server": f.freshServer(t)} {
				if _, err := f.load(store, before.Value); !errors.Is(err, session.ErrInvalid) {
					t.Errorf("%s: cookie token from before the move: got %v, want ErrInvalid", label, err)
				}
			}
		})
	}
	t.Run("cookie mode", func(t *testing.T) {
		f := newFixture(t, hybrid.Options{})
		_, _, alice := f.do(t, "/login?u=alice", nil)
		r, s := testkit.Load(t, f.m, alice)
		s.Destroy()
		testkit.Save(t, f.m, r, s)
		if _, err := f.load(f.freshServer(t), alice.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("a copy of the cookie after logout: got %v, want ErrInvalid", err)
		}
		if _, _, again := f.do(t, "/login?u=alice", nil); again == nil {
			t.Fatal("no cookie after a new login")
		} else if _, body, _ := f.do(t, "/whoami", again); body != "alice" {
			t.Errorf("a new login after logout: got %q, want alice", body)
		}
	})
}

// TestRevocationReachOnMongoDB: three servers, each with its own stores
// and stamp cache, over one MongoDB collection. MongoDB cannot push stamp
// changes here (change streams need a replica set, which FerretDB lacks),
// so a RevokeUser on one server reaches cookie sessions on the others when
// their cached stamps expire: within RevocationCacheTTL, two seconds here,
// one minute by default.
func TestRevocationReachOnMongoDB(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	const ttl = 2 * time.Second
	fleet := make([]*session.Manager, 3)
	for i := range fleet {
		store, err := hybrid.New(f.keys, f.serverStore(t, serverstore.Options{}), hybrid.Options{RevocationCacheTTL: ttl, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		fleet[i] = f.manager(t, store, time.Now, session.Options{})
	}
	reach := testkit.Reach(t, fleet, "alice", ttl+time.Second)
	t.Logf("RevokeUser on server 0 refused the cookie on servers 1 and 2 after %v (cache TTL %v)", reach, ttl)
}
