package hybrid_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }

var (
	ctx   = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)

type fixture struct {
	keys   *keyrotation.Keyring
	clock  *testkit.Clock
	coll   *mongo.Collection
	server *serverstore.Store
	store  *hybrid.Store
	m      *session.Manager
	srv    *httptest.Server
}

const cookieName = "sid"

func newFixture(t *testing.T, opts hybrid.Options) *fixture {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{keys: keys, clock: testkit.NewClock(time.Now().Truncate(time.Second)), coll: mongotest.DB(t).Collection("sessions")}
	f.server = f.serverStore(t, serverstore.Options{})
	opts.Logger = quiet
	f.store, err = hybrid.New(keys, f.server, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.m = f.manager(t, f.store, f.clock.Now, session.Options{})
	f.srv = httptest.NewServer(f.m.Middleware(f.mux()))
	t.Cleanup(f.srv.Close)
	return f
}

// serverStore returns a server store on the fixture's collection, as
// another server of the fleet would have.
func (f *fixture) serverStore(t *testing.T, opts serverstore.Options) *serverstore.Store {
	t.Helper()
	b, err := mongostore.New(ctx, f.coll)
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger, opts.Timeout = quiet, time.Second
	server, err := serverstore.New(f.keys, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server
}

// manager returns a Manager of store for the cookie cookieName, with the
// clock now.
func (f *fixture) manager(t *testing.T, store session.Store, now func() time.Time, opts session.Options) *session.Manager {
	t.Helper()
	opts.Now, opts.Logger = now, quiet
	opts.Cookie = session.CookieOptions{Name: cookieName, AllowInsecureHTTP: true}
	m, err := session.NewManager(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// load loads token from store for the cookie cookieName, at the fixture's
// time.
func (f *fixture) load(store *hybrid.Store, token string) (*session.Record, error) {
	return store.Load(ctx, cookieName, token, f.clock.Now())
}

type item struct {
	SKU string
	Qty int
}

func (f *fixture) mux() http.Handler {
	mux := http.NewServeMux()
	cart := func(r *http.Request) []item {
		c, _, _ := session.Value[[]item](session.From(r.Context()), "cart")
		return c
	}
	mux.HandleFunc("/add", func(w http.ResponseWriter, r *http.Request) {
		c := append(cart(r), item{SKU: fmt.Sprintf("SKU-%04d-%s", len(cart(r)), strings.Repeat("x", 80)), Qty: 1})
		session.From(r.Context()).Set("cart", c)
	})
	mux.HandleFunc("/remove", func(w http.ResponseWriter, r *http.Request) {
		c := cart(r)
		session.From(r.Context()).Set("cart", c[:len(c)-1])
	})
	mux.HandleFunc("/cart", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		fmt.Fprintf(w, "%s %d", s.Mode(), len(cart(r)))
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.Renew()
		s.SetUser(r.FormValue("u"))
		s.SetRevocable(r.FormValue("revocable") == "1")
		s.Set("hello", r.FormValue("u"))
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.From(r.Context()).User())
	})
	return mux
}

// do sends a request with the cookie and returns the status, the body and
// the cookie the client holds afterwards.
func (f *fixture) do(t *testing.T, path string, c *http.Cookie) (int, string, *http.Cookie) {
	t.Helper()
	return testkit.Request(t, f.srv.URL+path, cookieName, c)
}

// otherServer returns the Manager of another server of the fleet: its own
// stores on the fixture's collection, with opts and the clock now.
func (f *fixture) otherServer(t *testing.T, now func() time.Time, opts serverstore.Options) *session.Manager {
	t.Helper()
	store, err := hybrid.New(f.keys, f.serverStore(t, opts), hybrid.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return f.manager(t, store, now, session.Options{})
}

// aliceOnServer logs alice in and grows her session past the cookie, and
// returns it with its reference cookie.
func (f *fixture) aliceOnServer(t *testing.T) (*session.Session, *http.Cookie) {
	t.Helper()
	_, _, c := f.do(t, "/login?u=alice", nil)
	r, s := testkit.Load(t, f.m, c)
	s.Set("big", strings.Repeat("x", 5000))
	return s, testkit.Save(t, f.m, r, s)
}

func (f *fixture) records(t *testing.T) int64 {
	t.Helper()
	n, err := f.coll.CountDocuments(ctx, bson.D{{Key: "data", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Harness {
		f := newFixture(t, hybrid.Options{})
		return &storetest.Harness{Store: f.store, Now: f.clock.Now, Advance: f.clock.Advance}
	})
}

func TestCartSpillsToMongoDBAndComesBack(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	var c *http.Cookie
	n := 0
	for ; n < 100; n++ {
		_, _, c = f.do(t, "/add", c)
		if _, body, _ := f.do(t, "/cart", c); strings.HasPrefix(body, "server") {
			n++
			break
		}
		if len(cookieName)+len(c.Value) > session.MaxCookieSize {
			t.Fatalf("cookie of %d bytes", len(c.Value))
		}
	}
	if _, body, _ := f.do(t, "/cart", c); body != fmt.Sprintf("server %d", n) {
		t.Fatalf("after %d items: got %q, want the cart in MongoDB with every item", n, body)
	}
	if len(c.Value) >= 200 {
		t.Errorf("reference cookie of %d bytes, want under 200", len(c.Value))
	}
	if got := f.records(t); got != 1 {
		t.Errorf("records: got %d, want 1", got)
	}
	_, _, c = f.do(t, "/remove", c)
	_, _, c = f.do(t, "/remove", c)
	if _, body, _ := f.do(t, "/cart", c); body != fmt.Sprintf("cookie %d", n-2) {
		t.Errorf("after removing two items: got %q, want the cart back in the cookie with %d items", body, n-2)
	}
	if got := f.records(t); got != 0 {
		t.Errorf("records after moving back: got %d, want 0", got)
	}
	if len(c.Value) < 1000 {
		t.Errorf("cookie of %d bytes after moving back, want the sealed cart", len(c.Value))
	}
}

func TestRevocableSessionsLiveOnTheServer(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	_, _, c := f.do(t, "/login?u=alice&revocable=1", nil)
	if _, body, _ := f.do(t, "/cart", c); !strings.HasPrefix(body, "server") {
		t.Errorf("revocable session: got %q, want it on the server", body)
	}
}

func TestRevokeUserCoversBothModes(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	_, _, aliceCookie := f.do(t, "/login?u=alice", nil)
	_, _, aliceServer := f.do(t, "/login?u=alice&revocable=1", nil)
	_, _, bob := f.do(t, "/login?u=bob", nil)
	for _, c := range []*http.Cookie{aliceCookie, aliceServer, bob} {
		if _, body, _ := f.do(t, "/whoami", c); body == "" {
			t.Fatal("login did not stick")
		}
	}
	// Within the same second as the logins: the stamp is rounded up.
	if n, err := f.m.RevokeUser(ctx, "alice"); err != nil || n != 2 {
		t.Fatalf("RevokeUser: %d, %v; want 2 deleted: the server session and the cookie session's device entry", n, err)
	}
	for name, c := range map[string]*http.Cookie{"cookie mode": aliceCookie, "server mode": aliceServer} {
		if code, body, _ := f.do(t, "/whoami", c); code != 200 || body != "" {
			t.Errorf("alice's %s session after RevokeUser: status %d user %q, want a fresh session", name, code, body)
		}
	}
	if _, body, _ := f.do(t, "/whoami", bob); body != "bob" {
		t.Errorf("bob after alice's revocation: got %q, want bob", body)
	}
	// Another server with an empty cache sees the stamp too.
	other, err := hybrid.New(f.keys, f.server, hybrid.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(other, aliceCookie.Value); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("other server: got %v, want ErrInvalid", err)
	}
	// A new login after the revocation works.
	f.clock.Advance(time.Second)
	_, _, again := f.do(t, "/login?u=alice", nil)
	if _, body, _ := f.do(t, "/whoami", again); body != "alice" {
		t.Errorf("login after revocation: got %q", body)
	}
}

// TestRevocationSurvivesReissue checks that a revoked session stays revoked
// when it is saved again after the revocation: by a request in flight
// during it, in either mode, or by a server whose cache had no stamp yet.
func TestRevocationSurvivesReissue(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	_, _, alice := f.do(t, "/login?u=alice", nil)
	_, _, anonymous := f.do(t, "/add", nil)

	// Server B reads alice's session, and caches that she has no stamp.
	b, err := hybrid.New(f.keys, f.server, hybrid.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mb := f.manager(t, b, f.clock.Now, session.Options{})
	testkit.Load(t, mb, alice)
	// Two requests of alice's are in flight on this server.
	r1, inFlight := testkit.Load(t, f.m, alice)
	r2, spilling := testkit.Load(t, f.m, alice)
	if n, err := f.m.RevokeUser(ctx, "alice"); err != nil || n != 1 {
		t.Fatalf("RevokeUser: %d, %v; want 1: the cookie session's device entry", n, err)
	}
	f.clock.Advance(2 * time.Second)

	inFlight.Set("late", 1)
	spilling.Set("big", strings.Repeat("x", 5000))
	rb, stale := testkit.Load(t, mb, alice) // accepted: B's cache is still fresh
	stale.Set("late", 2)
	const staleCache = "cookie re-issued by a server with a stale cache"
	reissued := map[string]*http.Cookie{
		"cookie saved by a request in flight":   testkit.Save(t, f.m, r1, inFlight),
		"record created by a request in flight": testkit.Save(t, f.m, r2, spilling),
		staleCache:                              testkit.Save(t, mb, rb, stale),
	}
	if spilling.Mode() != session.ModeServer {
		t.Fatalf("a 5000-byte session stayed in mode %v", spilling.Mode())
	}
	for name, c := range reissued {
		if _, err := f.load(f.store, c.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	f.clock.Advance(time.Minute) // the default RevocationCacheTTL
	if _, err := f.load(b, reissued[staleCache].Value); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("server B once its cache expired: got %v, want ErrInvalid", err)
	}

	// A login after the revocation, on a session that began before it,
	// is a new start.
	_, _, again := f.do(t, "/login?u=alice", anonymous)
	if _, body, _ := f.do(t, "/whoami", again); body != "alice" {
		t.Errorf("login after the revocation on an older session: got %q, want alice", body)
	}
}

// TestMoveBackKeepsConcurrentSave checks that a session moving from
// MongoDB back to the cookie keeps what another request saved to its record
// meanwhile.
func TestMoveBackKeepsConcurrentSave(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	var c *http.Cookie
	for range 100 {
		_, _, c = f.do(t, "/add", c)
		if _, body, _ := f.do(t, "/cart", c); strings.HasPrefix(body, "server") {
			break
		}
	}
	rShrink, shrinking := testkit.Load(t, f.m, c)
	rOther, other := testkit.Load(t, f.m, c)
	if shrinking.Mode() != session.ModeServer {
		t.Fatal("the cart never spilled to MongoDB")
	}
	other.Set("k", "saved meanwhile")
	testkit.Save(t, f.m, rOther, other)
	shrinking.Set("cart", []item{})
	back := testkit.Save(t, f.m, rShrink, shrinking)
	if shrinking.Mode() != session.ModeCookie || f.records(t) != 0 {
		t.Fatalf("after shrinking: mode %v, %d records; want the cookie and none", shrinking.Mode(), f.records(t))
	}
	_, got := testkit.Load(t, f.m, back)
	if v, _, _ := session.Value[string](got, "k"); v != "saved meanwhile" {
		t.Errorf("k after the move back: got %q, want the concurrent save", v)
	}
}

// TestRecordMadeAgainIsNotOverwritten: a session moves to the cookie
// (its record deleted) and back to MongoDB (a new record) while a request
// that loaded the first record is still running. That request's save must
// merge into the new record, not take it for the one it loaded.
func TestRecordMadeAgainIsNotOverwritten(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	_, onServer := f.aliceOnServer(t)

	rSlow, slow := testkit.Load(t, f.m, onServer) // holds the first record
	rShrink, shrink := testkit.Load(t, f.m, onServer)
	shrink.Delete("big")
	inCookie := testkit.Save(t, f.m, rShrink, shrink)
	rAgain, again := testkit.Load(t, f.m, inCookie)
	again.Set("big2", strings.Repeat("y", 5000))
	testkit.Save(t, f.m, rAgain, again)
	if again.Mode() != session.ModeServer || shrink.Mode() != session.ModeCookie {
		t.Fatalf("modes: %v then %v, want cookie then server", shrink.Mode(), again.Mode())
	}

	slow.Set("late", 1)
	_, got := testkit.Load(t, f.m, testkit.Save(t, f.m, rSlow, slow))
	if keys := got.Keys(); !slices.Equal(keys, []string{"big2", "hello", "late"}) {
		t.Errorf("keys after the slow save: %v, want [big2 hello late]", keys)
	}
}

// TestSpillReplacesLeftoverRecord: a request moves a cookie session to
// MongoDB, but its response never reaches the client, which goes on with
// the cookie. When the session outgrows the cookie again, the record left
// over from the first move, older than the cookie, is replaced, not merged
// into: what the cookie held since is kept. A leftover record that has
// expired but is not yet cleaned up is replaced too.
func TestSpillReplacesLeftoverRecord(t *testing.T) {
	for _, expired := range []bool{false, true} {
		t.Run(fmt.Sprintf("expired=%v", expired), func(t *testing.T) {
			f := newFixture(t, hybrid.Options{})
			// One attempt: replacing the leftover record is not a retry.
			m := f.otherServer(t, f.clock.Now, serverstore.Options{MaxAttempts: 1})
			_, _, c := f.do(t, "/login?u=alice", nil)
			rLost, lost := testkit.Load(t, m, c)
			lost.Set("x", "old")
			lost.Set("big", strings.Repeat("x", 5000))
			testkit.Save(t, m, rLost, lost) // the client never sees this cookie
			if lost.Mode() != session.ModeServer {
				t.Fatalf("a 5000-byte session stayed in mode %v", lost.Mode())
			}

			f.clock.Advance(time.Second)
			rCookie, inCookie := testkit.Load(t, m, c)
			inCookie.Set("x", "new")
			c = testkit.Save(t, m, rCookie, inCookie)
			if inCookie.Mode() != session.ModeCookie {
				t.Fatalf("a small session went to mode %v", inCookie.Mode())
			}
			f.clock.Advance(time.Second)
			if expired {
				// Past the leftover record's idle deadline, a second
				// before the cookie's.
				f.clock.Advance(24*time.Hour - 2*time.Second)
			}

			rGrow, grow := testkit.Load(t, m, c)
			grow.Set("big", strings.Repeat("y", 5000))
			_, got := testkit.Load(t, m, testkit.Save(t, m, rGrow, grow))
			if x, _, _ := session.Value[string](got, "x"); x != "new" || !slices.Equal(got.Keys(), []string{"big", "hello", "x"}) {
				t.Errorf("after the second move: x = %q, keys %v; want x = new and keys [big hello x]", x, got.Keys())
			}
			if big, _, _ := session.Value[string](got, "big"); !strings.HasPrefix(big, "y") {
				t.Errorf("big after the second move comes from the leftover record")
			}
			if n := f.records(t); n != 1 {
				t.Errorf("%d records, want 1", n)
			}
		})
	}
}

// TestLogoutIgnoresConcurrentSave: a request logs out (Destroy, then a
// flash for the next page) while another request of the same MongoDB
// session saves a change. The logout must end the session: nothing of the
// old one, neither its user nor the other request's change, comes back,
// and its record is gone.
func TestLogoutIgnoresConcurrentSave(t *testing.T) {
	for _, viaToken := range []bool{false, true} {
		t.Run(fmt.Sprintf("Token=%v", viaToken), func(t *testing.T) {
			f := newFixture(t, hybrid.Options{})
			grow, onServer := f.aliceOnServer(t)

			rOut, out := testkit.Load(t, f.m, onServer)
			rOther, other := testkit.Load(t, f.m, onServer)
			other.Set("k", "saved meanwhile")
			testkit.Save(t, f.m, rOther, other)
			out.Destroy()
			out.AddFlash("logged out")
			var after *http.Cookie
			if viaToken {
				tok, err := f.m.Token(rOut, out)
				if err != nil {
					t.Fatal(err)
				}
				after = &http.Cookie{Name: cookieName, Value: tok}
			} else {
				after = testkit.Save(t, f.m, rOut, out)
			}

			_, got := testkit.Load(t, f.m, after)
			if got.User() != "" || len(got.Keys()) != 0 || got.ID() == grow.ID() {
				t.Errorf("after the logout: user %q, keys %v, ID kept %v; want a new, empty session", got.User(), got.Keys(), got.ID() == grow.ID())
			}
			if flashes := got.Flashes(); !slices.Equal(flashes, []string{"logged out"}) {
				t.Errorf("flashes after the logout: %v, want [logged out]", flashes)
			}
			if n := f.records(t); n != 0 {
				t.Errorf("%d records after the logout, want none", n)
			}
			if _, err := f.load(f.store, onServer.Value); !errors.Is(err, session.ErrInvalid) {
				t.Errorf("the old reference after the logout: got %v, want ErrInvalid", err)
			}
		})
	}
}

// TestConcurrentSpillsMeet: two requests of one cookie session both
// outgrow it; the second merges into the first's record. It does so when
// the first ran on a server whose clock is two seconds behind (the
// cookie's own issue time tells them apart, not the servers' clocks), and
// when the first's record comes from an older release, without "from".
func TestConcurrentSpillsMeet(t *testing.T) {
	for _, tt := range []struct {
		name     string
		skew     time.Duration
		dropFrom bool
	}{
		{name: "first server behind", skew: -2 * time.Second},
		{name: "record without from", dropFrom: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, hybrid.Options{})
			_, _, c := f.do(t, "/login?u=alice", nil)
			f.clock.Advance(time.Second)
			first := f.otherServer(t, func() time.Time { return f.clock.Now().Add(tt.skew) }, serverstore.Options{})
			rA, a := testkit.Load(t, f.m, c)
			rB, b := testkit.Load(t, first, c)
			b.Set("b", "from B")
			b.Set("big", strings.Repeat("x", 5000))
			testkit.Save(t, first, rB, b)
			if tt.dropFrom {
				if _, err := f.coll.UpdateMany(ctx, bson.D{}, bson.D{{Key: "$unset", Value: bson.D{{Key: "from", Value: ""}}}}); err != nil {
					t.Fatal(err)
				}
			}
			a.Set("a", "from A")
			a.Set("big2", strings.Repeat("y", 5000))
			_, got := testkit.Load(t, f.m, testkit.Save(t, f.m, rA, a))
			if keys := got.Keys(); !slices.Equal(keys, []string{"a", "b", "big", "big2", "hello"}) {
				t.Errorf("keys after both spills: %v, want [a b big big2 hello]", keys)
			}
		})
	}
}

// TestSecondSaveKeepsLoginTime: a login saved by Token, then saved again
// later in the same request, keeps the creation time of the login, so a
// RevokeUser between the two saves refuses both tokens.
func TestSecondSaveKeepsLoginTime(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	r := httptest.NewRequest("GET", "/", nil)
	s, err := f.m.Load(r)
	if err != nil {
		t.Fatal(err)
	}
	s.SetUser("alice")
	tok, err := f.m.Token(r, s)
	if err != nil {
		t.Fatal(err)
	}
	created := s.StartedAt()
	f.clock.Advance(2 * time.Second)
	if _, err := f.m.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Second)
	s.Set("x", "y")
	c := testkit.Save(t, f.m, r, s)
	if !s.StartedAt().Equal(created) {
		t.Errorf("CreatedAt moved from %v to %v on a save without a login", created, s.StartedAt())
	}
	for name, tok := range map[string]string{"token": tok, "cookie saved after RevokeUser": c.Value} {
		if _, err := f.load(f.store, tok); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid (revoked)", name, err)
		}
	}
}

// TestTokenThenSpill: a request issues a token for its cookie session
// (Token), then outgrows the cookie, while another request of the same
// session spilled it before or after that token. Both requests' changes
// survive: the token's save left no record, so the spill still merges
// against the cookie both requests loaded.
func TestTokenThenSpill(t *testing.T) {
	for _, otherFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("otherFirst=%v", otherFirst), func(t *testing.T) {
			f := newFixture(t, hybrid.Options{})
			_, _, c := f.do(t, "/login?u=alice", nil)
			f.clock.Advance(time.Second)
			rA, a := testkit.Load(t, f.m, c)
			rB, b := testkit.Load(t, f.m, c)
			spillB := func() {
				b.Set("b", "from B")
				b.Set("big", strings.Repeat("x", 5000))
				testkit.Save(t, f.m, rB, b)
			}
			if otherFirst {
				spillB()
				f.clock.Advance(time.Second)
			}
			a.Set("x", "from A")
			if _, err := f.m.Token(rA, a); err != nil {
				t.Fatal(err)
			}
			if a.Mode() != session.ModeCookie {
				t.Fatalf("a small session went to mode %v", a.Mode())
			}
			if !otherFirst {
				spillB()
			}
			a.Set("big2", strings.Repeat("y", 5000))
			_, got := testkit.Load(t, f.m, testkit.Save(t, f.m, rA, a))
			x, _, _ := session.Value[string](got, "x")
			bv, _, _ := session.Value[string](got, "b")
			if x != "from A" || bv != "from B" {
				t.Errorf("after both spills: x = %q, b = %q; want both requests' values", x, bv)
			}
		})
	}
}

func TestMongoDBOutage(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("FailOpen=%v", failOpen), func(t *testing.T) {
			f := newFixture(t, hybrid.Options{FailOpen: failOpen})
			_, _, anon := f.do(t, "/add", nil)
			_, _, user := f.do(t, "/login?u=carol", nil)
			f.do(t, "/whoami", user) // caches carol's stamp
			var server *http.Cookie
			for range 60 {
				_, _, server = f.do(t, "/add", server)
			}
			if _, body, _ := f.do(t, "/cart", server); !strings.HasPrefix(body, "server") {
				t.Fatalf("big cart: %q, want it on the server", body)
			}

			mongotest.Stop(t)
			if code, body, c := f.do(t, "/cart", anon); code != 200 || body != "cookie 1" || c != anon {
				t.Errorf("anonymous cookie session: status %d body %q", code, body)
			}
			if code, body, _ := f.do(t, "/whoami", user); code != 200 || body != "carol" {
				t.Errorf("cookie session with a cached stamp: status %d body %q", code, body)
			}
			if code, _, c := f.do(t, "/cart", server); code != http.StatusServiceUnavailable || c != server {
				t.Errorf("MongoDB-mode session: status %d, cookie changed %v; want 503 and the old cookie", code, c != server)
			}
			if code, _, c := f.do(t, "/add", anon); code != 200 || c == anon {
				t.Errorf("growing a small cookie cart: status %d", code)
			}
			f.clock.Advance(2 * time.Minute) // twice the default RevocationCacheTTL
			code, body, c := f.do(t, "/whoami", user)
			switch {
			case failOpen && (code != 200 || body != "carol"):
				t.Errorf("fail open, stamp not cached: status %d body %q, want 200 carol", code, body)
			case !failOpen && (code != http.StatusServiceUnavailable || c != user):
				t.Errorf("fail closed, stamp not cached: status %d, cookie changed %v; want 503 and the old cookie", code, c != user)
			}

			mongotest.Restart(t)
			if code, body, _ := f.do(t, "/cart", server); code != 200 || body != "server 60" {
				t.Errorf("MongoDB-mode session after restart: status %d body %q, want 200 server 60", code, body)
			}
			if code, body, _ := f.do(t, "/whoami", user); code != 200 || body != "carol" {
				t.Errorf("logged-in cookie session after restart: status %d body %q", code, body)
			}
		})
	}
}

// TestSpillsToMongoDB: the spill-and-revoke walk that every database
// backend runs through the hybrid (testkit.Spill), here over MongoDB.
func TestSpillsToMongoDB(t *testing.T) {
	f := newFixture(t, hybrid.Options{})
	b, err := mongostore.New(ctx, f.coll)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Spill(t, f.m, "MongoDB", func() int64 {
		n, err := b.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}, f.clock)
}
