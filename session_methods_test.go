package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/payload"
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
	_, s := testkit.Load(t, newManager(t), nil)
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
	_, s := testkit.Load(t, newManager(t), nil)
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
	_, s := testkit.Load(t, m, nil)
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

// TestChangedKeys checks the changes a store receives with a record: the
// keys set and deleted since the session was loaded.
func TestChangedKeys(t *testing.T) {
	_, m, store := recordingManager(t)
	r, s := testkit.Load(t, m, nil)
	for _, k := range []string{"a", "b", "c"} {
		s.Set(k, k)
	}
	r, loaded := testkit.Load(t, m, testkit.Save(t, m, r, s))
	// changes saves loaded, changed or not, and returns the changes its
	// record carried.
	changes := func() session.Changes {
		t.Helper()
		store.take()
		if _, err := m.Token(r, loaded); err != nil {
			t.Fatal(err)
		}
		saved, _ := store.take()
		if len(saved) != 1 {
			t.Fatalf("the store's Save was called %d times, want once", len(saved))
		}
		return saved[0].Changes
	}
	if ch := changes(); len(ch.Set)+len(ch.Deleted) != 0 {
		t.Errorf("freshly loaded: got set %v deleted %v, want none", ch.Set, ch.Deleted)
	}
	loaded.Set("b", "B")
	loaded.Set("d", "d")
	loaded.Delete("a")
	loaded.Delete("missing")
	if ch := changes(); !slices.Equal(ch.Set, []string{"b", "d"}) || !slices.Equal(ch.Deleted, []string{"a"}) {
		t.Errorf("got set %v deleted %v, want [b d] [a]", ch.Set, ch.Deleted)
	}
	loaded.Set("a", 1)
	if ch := changes(); !slices.Equal(ch.Set, []string{"a", "b", "d"}) || len(ch.Deleted) != 0 {
		t.Errorf("after re-setting a: got set %v deleted %v", ch.Set, ch.Deleted)
	}
	loaded.Clear()
	if ch := changes(); len(ch.Set) != 0 || !slices.Equal(ch.Deleted, []string{"a", "b", "c", "d"}) {
		t.Errorf("after Clear: got set %v deleted %v", ch.Set, ch.Deleted)
	}
}

func TestMetadataSurvivesRoundTrip(t *testing.T) {
	m := newManager(t)
	_, s := testkit.Load(t, m, nil)
	s.SetUser("alice")
	s.SetRevocable(true)
	s.SetPersistent(true)
	s.AddFlash("one")
	loaded, _ := roundTrip(t, m, s)
	if loaded.User() != "alice" || !loaded.Revocable() || !session.Persistent(loaded) || loaded.ID() != s.ID() {
		t.Errorf("got user %q revocable %v persistent %v", loaded.User(), loaded.Revocable(), session.Persistent(loaded))
	}
	if !loaded.StartedAt().Equal(s.StartedAt()) {
		t.Errorf("StartedAt: got %v, want %v", loaded.StartedAt(), s.StartedAt())
	}
	if f := loaded.Flashes(); !slices.Equal(f, []string{"one"}) {
		t.Errorf("Flashes: got %v", f)
	}
}

// TestRenewAndDestroyTrackPreviousID checks the IDs a store receives: the
// ID before Renew or Destroy, whose record it deletes, and the user of a
// destroyed session.
func TestRenewAndDestroyTrackPreviousID(t *testing.T) {
	_, m, store := recordingManager(t)
	r, s := testkit.Load(t, m, nil)
	s.SetUser("ada")
	s.Set("a", 1)
	s.Renew()
	c := testkit.Save(t, m, r, s)
	if saved, deleted := store.take(); len(saved) != 1 || saved[0].PreviousID != "" || len(deleted) != 0 {
		t.Errorf("renewing a never-saved session: %d saves, %d deletes, want one save without a previous ID", len(saved), len(deleted))
	}

	r, loaded := testkit.Load(t, m, c)
	id := loaded.ID()
	loaded.Renew()
	if loaded.ID() == id {
		t.Errorf("after Renew: ID %q, want a new one", loaded.ID())
	}
	c = testkit.Save(t, m, r, loaded)
	if saved, _ := store.take(); len(saved) != 1 || saved[0].ID != loaded.ID() || saved[0].PreviousID != id {
		t.Errorf("save after Renew: %d saves, want one of ID %q with previous %q", len(saved), loaded.ID(), id)
	}

	r, again := testkit.Load(t, m, c)
	if _, err := m.Token(r, again); err != nil {
		t.Fatal(err)
	}
	if saved, _ := store.take(); len(saved) != 1 || saved[0].PreviousID != "" {
		t.Errorf("save of a loaded session: %d saves, want one without a previous ID", len(saved))
	}
	id = again.ID()

	r, destroyed := testkit.Load(t, m, c)
	destroyed.Destroy()
	if len(destroyed.Keys()) != 0 {
		t.Errorf("after Destroy: keys %v", destroyed.Keys())
	}
	if err := m.Save(httptest.NewRecorder(), r, destroyed); err != nil {
		t.Fatal(err)
	}
	if saved, deleted := store.take(); len(saved) != 0 || len(deleted) != 1 || deleted[0].PreviousID != id || deleted[0].EndedUser != "ada" {
		t.Errorf("Destroy: %d saves, %d deletes; want one delete of previous %q and ended user ada", len(saved), len(deleted), id)
	}

	r, again = testkit.Load(t, m, c)
	again.Destroy()
	again.Set("b", 2)
	if again.ID() == id {
		t.Errorf("Set after Destroy: ID %q, want a new one", again.ID())
	}
	testkit.Save(t, m, r, again)
	saved, deleted := store.take()
	if len(deleted) != 1 || deleted[0].PreviousID != id || deleted[0].EndedUser != "ada" {
		t.Errorf("Set after Destroy: %d deletes, want one of previous %q and ended user ada", len(deleted), id)
	}
	// The new session is saved as new: it never merges the destroyed one.
	if len(saved) != 1 || saved[0].ID != again.ID() || saved[0].PreviousID != "" {
		t.Errorf("Set after Destroy: %d saves, want one of the new ID without a previous ID", len(saved))
	}
	if v, ok, _ := session.Value[int](again, "b"); !ok || v != 2 {
		t.Errorf("value set after Destroy: got %d, %v", v, ok)
	}
}

// TestGarbagePayloadIsNoSession: a payload that does not decode, which
// only a store that keeps something else can return, gives a new session,
// not a 500, and is logged as an invalid token.
func TestGarbagePayloadIsNoSession(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {1}, {2, 0}, []byte("not a payload")} {
		t.Run(fmt.Sprintf("%q", b), func(t *testing.T) {
			var obs testkit.Observer
			var logs bytes.Buffer
			store := &fixedStore{Store: newCookieStore(t), rec: session.Record{Payload: b}}
			m, err := session.NewManager(store, session.Options{Observer: &obs,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := session.From(r.Context())
				fmt.Fprint(w, len(s.ID()), len(s.Keys()))
			}))
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: "token"})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.String() != "22 0" {
				t.Errorf("got %d %q, want 200 and a new, empty session", rec.Code, rec.Body)
			}
			if loads, _ := obs.Take(); len(loads) != 1 || loads[0].Found || loads[0].Rejected != "invalid" || loads[0].Err != nil {
				t.Errorf("load events: %+v, want one rejected as invalid", loads)
			}
			if !strings.Contains(logs.String(), "reason=invalid") {
				t.Errorf("not logged as invalid: %s", logs.String())
			}
		})
	}
}

// TestLoadedRecordBecomesSession checks that the session the Manager makes
// of a record has the record's mode and the payload's ID and values, its
// keys sorted whatever the order they were set in.
func TestLoadedRecordBecomesSession(t *testing.T) {
	clock, m, store := recordingManager(t)
	r, s := testkit.Load(t, m, nil)
	for i := range 5 {
		s.Set(fmt.Sprintf("k%d", 4-i), i)
	}
	if _, err := m.Token(r, s); err != nil {
		t.Fatal(err)
	}
	saved, _ := store.take()
	server := &fixedStore{Store: store, rec: session.Record{Payload: saved[0].Payload, Mode: session.ModeServer, Revision: 1}}
	m, err := session.NewManager(server, session.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, got := testkit.Load(t, m, &http.Cookie{Name: m.CookieName(), Value: "reference"})
	if got.Mode() != session.ModeServer || got.ID() != s.ID() || !slices.Equal(got.Keys(), []string{"k0", "k1", "k2", "k3", "k4"}) {
		t.Errorf("got mode %v, ID kept %v, keys %v", got.Mode(), got.ID() == s.ID(), got.Keys())
	}
	if v, ok, err := session.Value[int](got, "k0"); v != 4 || !ok || err != nil {
		t.Errorf("k0: got %d, %v, %v; want 4", v, ok, err)
	}
	if session.ModeServer.String() != "server" || session.ModeCookie.String() != "cookie" {
		t.Errorf("Mode strings: %v %v", session.ModeServer, session.ModeCookie)
	}
}

// recordingStore is a Store that keeps a copy of each record the Manager
// passes to Save and Delete, as it was passed, and passes the call on.
type recordingStore struct {
	session.Store
	mu             sync.Mutex
	saved, deleted []session.Record
}

func (s *recordingStore) Save(ctx context.Context, name string, r *session.Record, now time.Time) (string, error) {
	s.mu.Lock()
	s.saved = append(s.saved, *r)
	s.mu.Unlock()
	return s.Store.Save(ctx, name, r, now)
}

func (s *recordingStore) Delete(ctx context.Context, r *session.Record, now time.Time) error {
	s.mu.Lock()
	s.deleted = append(s.deleted, *r)
	s.mu.Unlock()
	return s.Store.Delete(ctx, r, now)
}

// take returns the records saved and deleted since the last call.
func (s *recordingStore) take() (saved, deleted []session.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	saved, deleted = s.saved, s.deleted
	s.saved, s.deleted = nil, nil
	return saved, deleted
}

// fixedStore is a Store whose Load returns a copy of rec for every token,
// as a store that keeps or converts something else might; Save and Delete
// go to Store.
type fixedStore struct {
	session.Store
	rec session.Record
}

func (s *fixedStore) Load(context.Context, string, string, time.Time) (*session.Record, error) {
	r := s.rec
	r.Payload = slices.Clone(r.Payload)
	return &r, nil
}

// newCookieStore returns a cookie store under a fresh key ring.
func newCookieStore(t testing.TB) *cookiestore.Store {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// recordingManager returns a Manager on a test clock over a recordingStore
// over a cookie store.
func recordingManager(t testing.TB) (*testkit.Clock, *session.Manager, *recordingStore) {
	t.Helper()
	store := &recordingStore{Store: newCookieStore(t)}
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	m, err := session.NewManager(store, session.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return clock, m, store
}

// clockManager returns a Manager over a cookie store, both on a test
// clock, with opts otherwise.
func clockManager(t testing.TB, opts session.Options) (*testkit.Clock, *session.Manager) {
	t.Helper()
	clock := testkit.NewClock(time.Unix(1_800_000_000, 0))
	opts.Now = clock.Now
	m, err := session.NewManager(newCookieStore(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return clock, m
}

// TestMergedSaveIsAdopted checks what the session takes from a save that
// a server store merged with a concurrent one: the merged values and
// metadata, including the restarted lifetime of a login made by the other
// request, and the store's new revision, which the next save carries.
func TestMergedSaveIsAdopted(t *testing.T) {
	clock, m, store := recordingManager(t)
	r, base := testkit.Load(t, m, nil)
	base.Set("a", 1)
	base.Set("gone", 1)
	if _, err := m.Token(r, base); err != nil {
		t.Fatal(err)
	}
	saved, _ := store.take()
	data := saved[0].Payload

	// The other request logs ada in an hour later and sets b.
	clock.Advance(time.Hour)
	var latest payload.Data
	if err := payload.Parse(&latest, slices.Clone(data)); err != nil {
		t.Fatal(err)
	}
	login := clock.Now().Unix()
	latest.User, latest.Created, latest.Issued = "ada", login, login
	latest.IdleExpires, latest.Expires = login+int64(24*time.Hour/time.Second), login+int64(7*24*time.Hour/time.Second)
	latest.Entries = slices.Insert(latest.Entries, 1, payload.Entry{Key: "b", Value: []byte(`2`)})

	merging := &mergingStore{fixedStore: fixedStore{Store: store, rec: session.Record{Payload: data, Mode: session.ModeServer, Revision: 1}}, latest: latest}
	m, err := session.NewManager(merging, session.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r, s := testkit.Load(t, m, &http.Cookie{Name: m.CookieName(), Value: "reference"})
	s.Set("c", 3)
	s.Delete("gone")
	if _, err := m.Token(r, s); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Keys(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("keys: got %q, want %q", got, want)
	}
	if s.User() != "ada" || !s.StartedAt().Equal(clock.Now()) {
		t.Errorf("after the merge: user %q started %v; want ada, %v (the login)", s.User(), s.StartedAt(), clock.Now())
	}
	if _, err := m.Token(r, s); err != nil {
		t.Fatal(err)
	}
	if len(merging.revisions) != 2 || merging.revisions[1] != 2 {
		t.Errorf("revisions saved: %v, want the merged save's 2 on the next", merging.revisions)
	}
}

// mergingStore is a server store that finds, at every save, a newer copy
// of the session, latest, saved by a concurrent request: it re-applies the
// record's changes onto it, and saves at revision 2.
type mergingStore struct {
	fixedStore
	latest    payload.Data
	revisions []int64 // the revision of each record saved
}

func (s *mergingStore) Save(_ context.Context, _ string, r *session.Record, _ time.Time) (string, error) {
	s.revisions = append(s.revisions, r.Revision)
	var mine payload.Data
	if err := payload.Parse(&mine, slices.Clone(r.Payload)); err != nil {
		return "", err
	}
	latest := s.latest
	payload.Merge(&mine, &latest, payload.Changes(r.Changes))
	r.Payload, r.Merged, r.Mode, r.Revision = mine.Append(nil), true, session.ModeServer, 2
	return "reference", nil
}

// TestTokenOfDestroyedSession: a destroyed session has no token to issue
// until it changes, which starts a new session.
func TestTokenOfDestroyedSession(t *testing.T) {
	m := newManager(t)
	req, s := testkit.Load(t, m, nil)
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
