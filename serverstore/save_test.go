package serverstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/serverstore"
)

func TestFiftyConcurrentRequestsLoseNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		srv := testkit.KVServer(t, f.manager(t, f.store, insecure))
		_, _, c := get(t, srv, "/set?k=start&v=0", nil)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if code, body, _ := get(t, srv, fmt.Sprintf("/set?k=k%02d&v=%d", i, i), c); code != 200 {
					t.Errorf("request %d: status %d %s", i, code, body)
				}
			})
		}
		wg.Wait()
		for i := range 50 {
			if _, body, _ := get(t, srv, fmt.Sprintf("/get?k=k%02d", i), c); body != fmt.Sprint(i) {
				t.Errorf("key k%02d: got %q, want %d", i, body, i)
			}
		}
	})
}

// TestConflictAcrossServersMerges: two servers on one database; a save
// that loses to the other server's re-reads the record and re-applies only
// its own changes.
func TestConflictAcrossServersMerges(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		// The login merges as metadata only while it keeps the ID.
		ma := f.manager(t, f.store, session.Options{KeepIDOnLogin: true})
		mb := f.manager(t, f.newStore(t, f.open(t), serverstore.Options{}), session.Options{KeepIDOnLogin: true})
		r, s := testkit.Load(t, ma, nil)
		s.Set("shared", "v0")
		s.Set("gone", "x")
		c := testkit.Save(t, ma, r, s)
		first, err := f.load(t, ma, c.Value)
		if err != nil {
			t.Fatal(err)
		}
		rA, onA := testkit.Load(t, ma, c)
		rB, onB := testkit.Load(t, mb, c)
		onA.Set("a", 1)
		onA.Delete("gone")
		onA.SetUser("alice")
		onB.Set("b", 2)
		onB.Set("shared", "from b")
		onB.AddFlash("hi")
		testkit.Save(t, ma, rA, onA)
		testkit.Save(t, mb, rB, onB)
		_, got := testkit.Load(t, ma, c)
		if keys := got.Keys(); !slices.Equal(keys, []string{"a", "b", "shared"}) {
			t.Errorf("keys: got %v, want [a b shared]", keys)
		}
		if v, _, _ := session.Value[string](got, "shared"); v != "from b" {
			t.Errorf("shared: got %q, want the later write", v)
		}
		if got.User() != "alice" || !slices.Equal(got.Flashes(), []string{"hi"}) {
			t.Errorf("metadata: user %q; want both servers' changes", got.User())
		}
		if last, err := f.load(t, ma, c.Value); err != nil || last.Revision != first.Revision+2 {
			t.Errorf("revision: got %d, %v; want %d, two saves after the first", last.Revision, err, first.Revision+2)
		}
	})
}

// cookieRecord returns the record of a session that lives in its cookie,
// issued at issued, as a Manager hands it to a store that it moves to.
func cookieRecord(id string, issued int64, set string) *session.Record {
	d := payload.Data{ID: id, Created: issued, Issued: issued, IdleExpires: issued + 3600, Expires: issued + 86400,
		Entries: []payload.Entry{{Key: "base", Value: []byte("0")}}}
	if set != "" {
		i, _ := d.Find(set)
		d.Entries = slices.Insert(d.Entries, i, payload.Entry{Key: set, Value: []byte("1")})
	}
	return &session.Record{ID: id, Payload: d.Append(nil), Mode: session.ModeCookie,
		Started: time.Unix(issued, 0), Issued: time.Unix(issued, 0), Idle: time.Unix(issued+3600, 0),
		Deadline: time.Unix(issued+86400, 0), Base: time.Unix(issued, 0), Changes: session.Changes{Set: []string{set}}}
}

// TestConcurrentSpillsMerge saves two copies of one cookie session, as two
// requests that both outgrew the cookie would: the second finds the record
// the first inserted and merges into it.
func TestConcurrentSpillsMerge(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		id, issued := payload.NewID(), f.clock.Now().Unix()
		var tok string
		var first int64
		for _, k := range []string{"a", "b"} {
			rec := cookieRecord(id, issued, k)
			var err error
			if tok, err = f.store.Save(ctx, m.CookieName(), rec, f.clock.Now()); err != nil {
				t.Fatalf("spill with %s: %v", k, err)
			}
			if first == 0 {
				first = rec.Revision
			} else if !rec.Merged {
				t.Error("the second spill did not report a merge")
			}
		}
		rec, err := f.load(t, m, tok)
		if err != nil {
			t.Fatal(err)
		}
		var got payload.Data
		if err := payload.Parse(&got, rec.Payload); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range got.Entries {
			keys = append(keys, e.Key)
		}
		if !slices.Equal(keys, []string{"a", "b", "base"}) || rec.Revision != first+1 {
			t.Errorf("keys %v revision %d, want [a b base] and %d", keys, rec.Revision, first+1)
		}
	})
}

// TestSaveAfterConcurrentEnd checks that a save, or a renewal, of a session
// that another request ended meanwhile (revoked here) fails with
// ErrConflict, which the Manager answers with 409, and does not bring the
// session back under either ID.
func TestSaveAfterConcurrentEnd(t *testing.T) {
	for _, renew := range []bool{false, true} {
		t.Run(fmt.Sprintf("renew=%v", renew), func(t *testing.T) {
			eachBackend(t, func(t *testing.T, f *fixture) {
				m := f.manager(t, f.store, session.Options{})
				s, c := saveNew(t, m)
				r, loaded := testkit.Load(t, m, c)
				f.endRecord(t, s.ID())
				if renew {
					loaded.Renew()
				}
				loaded.Set("b", 2)
				if err := m.Save(httptest.NewRecorder(), r, loaded); !errors.Is(err, session.ErrConflict) {
					t.Errorf("save of a revoked session: got %v, want ErrConflict", err)
				}
				if n := f.records(t); n != 0 {
					t.Errorf("records after the refused save: %d; want none", n)
				}
			})
		})
	}
}

// TestRenewalKeepsConcurrentSave: a request renews the session while
// another saves a change to it under the old ID; the renewed session keeps
// that change, and the old ID ends.
func TestRenewalKeepsConcurrentSave(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		_, c := saveNew(t, m)
		rRenew, renewing := testkit.Load(t, m, c)
		rOther, other := testkit.Load(t, m, c)
		other.Set("b", 2)
		testkit.Save(t, m, rOther, other)
		renewing.Renew()
		renewing.Set("c", 3)
		renewed := testkit.Save(t, m, rRenew, renewing)
		_, got := testkit.Load(t, m, renewed)
		if keys := got.Keys(); got.ID() != renewing.ID() || !slices.Equal(keys, []string{"a", "b", "c"}) {
			t.Errorf("renewed session: keys %v, want [a b c]", keys)
		}
		// The renewal left the request at the record's revision: another
		// change in the same request is one update, not a conflict.
		before := f.b.updates.Load()
		renewing.Set("d", 4)
		testkit.Save(t, m, rRenew, renewing)
		if n := f.b.updates.Load() - before; n != 1 {
			t.Errorf("a second save after the renewal took %d updates, want 1", n)
		}
		if _, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("old ID after the renewal: got %v, want ErrInvalid", err)
		}
	})
}

// TestLogoutIgnoresConcurrentSave: a request logs out (Destroy, then a
// flash for the next page) while another request of the same session saves
// a change. The logout must end the session: nothing of the old one,
// neither its user nor the other request's change, comes back, and its
// token stops working.
func TestLogoutIgnoresConcurrentSave(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		r, s := testkit.Load(t, m, nil)
		s.SetUser("alice")
		s.Set("a", 1)
		c := testkit.Save(t, m, r, s)
		rOut, out := testkit.Load(t, m, c)
		rOther, other := testkit.Load(t, m, c)
		other.Set("k", "saved meanwhile")
		testkit.Save(t, m, rOther, other)
		out.Destroy()
		out.AddFlash("logged out")
		after := testkit.Save(t, m, rOut, out)

		_, got := testkit.Load(t, m, after)
		if got.User() != "" || len(got.Keys()) != 0 || got.ID() == s.ID() {
			t.Errorf("after the logout: user %q, keys %v, ID kept %v; want a new, empty session", got.User(), got.Keys(), got.ID() == s.ID())
		}
		if flashes := got.Flashes(); !slices.Equal(flashes, []string{"logged out"}) {
			t.Errorf("flashes after the logout: %v, want [logged out]", flashes)
		}
		if out.Mode() != session.ModeServer {
			t.Errorf("mode of the new session after its save: %v, want server", out.Mode())
		}
		if _, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("the old token after the logout: got %v, want ErrInvalid", err)
		}
		if n := f.records(t); n != 1 {
			t.Errorf("records after the logout: %d; want the new session's alone", n)
		}
	})
}

// TestMaxAttempts: a save that keeps losing gives up with ErrConflict
// after MaxAttempts conditional updates.
func TestMaxAttempts(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		store := f.newStore(t, &losing{f.b}, serverstore.Options{MaxAttempts: 3})
		m := f.manager(t, store, session.Options{})
		_, c := saveNew(t, m)
		r, s := testkit.Load(t, m, c)
		s.Set("b", 2)
		before := f.b.updates.Load()
		if err := m.Save(httptest.NewRecorder(), r, s); !errors.Is(err, session.ErrConflict) {
			t.Errorf("save that always loses: got %v, want ErrConflict", err)
		}
		if n := f.b.updates.Load() - before; n != 3 {
			t.Errorf("%d updates, want MaxAttempts (3)", n)
		}
	})
}

// losing is a backend on which every conditional update finds the record
// just saved by someone else.
type losing struct{ *counting }

func (l *losing) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	l.updates.Add(1)
	return false, nil
}

// TestSavesWriteOnlyWhatChanged: a save writes the payload and the
// version; the record's expiry and save time move once a step (a tenth of
// the idle timeout), not on every save; the user and the device are written
// when the user changes. Listings still show the exact last save.
func TestSavesWriteOnlyWhatChanged(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		// A login updates the record in place while it keeps the ID.
		m := f.manager(t, f.store, session.Options{IdleTimeout: 10 * time.Hour, Lifetime: 100 * time.Hour, KeepIDOnLogin: true})
		// Expiry and update times move in steps of a tenth of the idle
		// timeout, an hour here: start a minute into one, so that the
		// second below stays within it whatever the time of the run.
		now := f.clock.Now()
		f.clock.Advance(now.Truncate(time.Hour).Add(time.Hour + time.Minute).Sub(now))
		change := func(c *http.Cookie, ua string, fn func(s *session.Session)) (*session.Session, *http.Cookie) {
			t.Helper()
			r, s := testkit.Load(t, m, c)
			r.Header.Set("User-Agent", ua)
			fn(s)
			return s, testkit.Save(t, m, r, s)
		}
		s, c := change(nil, "first", func(s *session.Session) { s.SetRevocable(true) })
		inserted := f.document(t, s.ID())
		if inserted.ExpiresAt.Before(s.IdleDeadline()) || inserted.ExpiresAt.After(s.IdleDeadline().Add(time.Hour)) {
			t.Errorf("inserted: expires %v, want the idle deadline %v or up to a step later", inserted.ExpiresAt, s.IdleDeadline())
		}
		if inserted.UserAgent != "first" {
			t.Errorf("inserted: user agent %q, want first", inserted.UserAgent)
		}

		f.clock.Advance(time.Second)
		_, c = change(c, "second", func(s *session.Session) { s.Set("a", 2) })
		if last := f.b.last.Load(); last == nil || last.UserChanged {
			t.Fatalf("a save that changed a value: Update %+v, want one without UserChanged", last)
		}
		doc := f.document(t, s.ID())
		if !doc.ExpiresAt.Equal(inserted.ExpiresAt) || !doc.Updated.Equal(inserted.Updated) || doc.UserAgent != "first" {
			t.Errorf("a second later: expires %v, updated %v, user agent %q; want %v, %v, first",
				doc.ExpiresAt, doc.Updated, doc.UserAgent, inserted.ExpiresAt, inserted.Updated)
		}

		f.clock.Advance(2 * time.Hour)
		s2, c := change(c, "third", func(s *session.Session) { s.Set("a", 3) })
		doc = f.document(t, s.ID())
		if !doc.ExpiresAt.After(inserted.ExpiresAt) || doc.ExpiresAt.Before(s2.IdleDeadline()) || !doc.Updated.After(inserted.Updated) {
			t.Errorf("two hours later: expires %v, updated %v; want both moved past %v, %v, expiry at or after %v",
				doc.ExpiresAt, doc.Updated, inserted.ExpiresAt, inserted.Updated, s2.IdleDeadline())
		}

		f.clock.Advance(time.Second)
		change(c, "login", func(s *session.Session) { s.SetUser("ada") })
		if last := f.b.last.Load(); last == nil || !last.UserChanged {
			t.Fatalf("a login: Update %+v, want one with UserChanged", last)
		}
		doc = f.document(t, s.ID())
		if doc.UserAgent != "login" || doc.User == nil {
			t.Errorf("after login: user agent %q, user %x; want login and ada's", doc.UserAgent, doc.User)
		}
		infos, err := f.store.Sessions(ctx, "ada", f.clock.Now())
		if err != nil || len(infos) != 1 {
			t.Fatalf("Sessions: %v, %v; want one", infos, err)
		}
		if !infos[0].LastSeen.Equal(f.clock.Now().Truncate(time.Second)) || infos[0].UserAgent != "login" {
			t.Errorf("listing: last seen %v, user agent %q; want %v, login", infos[0].LastSeen, infos[0].UserAgent, f.clock.Now())
		}
	})
}
