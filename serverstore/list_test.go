package serverstore_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/serverstore"
)

func TestRevocation(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		save := func(user string) (*session.Session, *http.Cookie) {
			r, s := testkit.Load(t, m, nil)
			s.SetUser(user)
			c := testkit.Save(t, m, r, s)
			f.clock.Advance(time.Second)
			return s, c
		}
		a1, tokA1 := save("alice")
		_, tokA2 := save("alice")
		b1, tokB1 := save("bob")
		infos, err := f.store.Sessions(ctx, "alice", f.clock.Now())
		if err != nil || len(infos) != 2 {
			t.Fatalf("Sessions(alice): %d, %v", len(infos), err)
		}
		if infos[1].Handle != serverstore.Handle(a1.ID()) || !infos[0].LastSeen.After(infos[1].LastSeen) {
			t.Errorf("listing: %+v; want alice's second session first, then her first", infos)
		}
		if in := infos[1]; !in.Created.Equal(a1.StartedAt()) || !in.ExpiresAt.Equal(a1.IdleDeadline()) || in.IP != "192.0.2.1" {
			t.Errorf("listing of alice's first session: %+v", in)
		}
		if err := f.store.RevokeHandle(ctx, "bob", serverstore.Handle(a1.ID()), f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.load(t, m, tokA1.Value); err != nil {
			t.Errorf("bob revoked alice's session by handle: %v", err)
		}
		if err := f.store.RevokeHandle(ctx, "alice", "not a handle", f.clock.Now()); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("malformed handle: got %v, want ErrInvalid", err)
		}
		n, err := m.RevokeUser(ctx, "alice")
		if err != nil || n != 2 {
			t.Errorf("RevokeUser: %d, %v; want 2", n, err)
		}
		for _, c := range []*http.Cookie{tokA1, tokA2} {
			if _, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
				t.Errorf("revoked session: got %v, want ErrInvalid", err)
			}
		}
		if _, err := f.load(t, m, tokB1.Value); err != nil {
			t.Errorf("other user's session: %v", err)
		}
		f.endRecord(t, b1.ID())
		if _, err := f.load(t, m, tokB1.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("revoked by ID: got %v, want ErrInvalid", err)
		}
	})
}

// TestRevokeHandleWithNonCanonicalHandle: ending a session from a listing
// deletes its record and names it in the user's stamp until the record
// would have expired, under the handle that the hybrid store looks up,
// also when the caller spelled the handle with other unused bits: such a
// spelling, recorded as given, left the session's cookie tokens working.
func TestRevokeHandleWithNonCanonicalHandle(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		r, s := testkit.Load(t, m, nil)
		s.SetUser("alice")
		c := testkit.Save(t, m, r, s)
		h := serverstore.Handle(s.ID())
		// The same key, with an unused bit of the last character flipped.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		odd := h[:len(h)-1] + string(alphabet[strings.IndexByte(alphabet, h[len(h)-1])^1])
		if err := f.store.RevokeHandle(ctx, "alice", odd, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := f.load(t, m, c.Value); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("revoked session: got %v, want ErrInvalid", err)
		}
		st, err := f.store.Stamp(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		// Until the record's expiry: the idle deadline, rounded up to the
		// record's step of a tenth of the idle timeout (24 hours).
		if until, ok := st.Ended[h]; !ok || until.Before(s.IdleDeadline()) ||
			until.After(s.IdleDeadline().Add(24*time.Hour/10)) || len(st.Ended) != 1 {
			t.Errorf("stamp after RevokeHandle: %v; want %s until %v or a step later", st.Ended, h, s.IdleDeadline())
		}
		if infos, err := f.store.Sessions(ctx, "alice", f.clock.Now()); err != nil || len(infos) != 0 {
			t.Errorf("Sessions after RevokeHandle: %v, %v; want none", infos, err)
		}
	})
}

// TestSessionsSkipsExpired: a record past its expiry that the database has
// not deleted yet is not listed.
func TestSessionsSkipsExpired(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{IdleTimeout: time.Hour})
		r, s := testkit.Load(t, m, nil)
		s.SetUser("alice")
		testkit.Save(t, m, r, s)
		f.clock.Advance(2 * time.Hour)
		r, s = testkit.Load(t, m, nil)
		s.SetUser("alice")
		testkit.Save(t, m, r, s)
		infos, err := f.store.Sessions(ctx, "alice", f.clock.Now())
		if err != nil || len(infos) != 1 || infos[0].Handle != serverstore.Handle(s.ID()) {
			t.Errorf("Sessions: %+v, %v; want the live session alone", infos, err)
		}
		if n := f.records(t); n != 2 {
			t.Errorf("%d records, want 2: the expired one not cleaned up yet", n)
		}
	})
}
