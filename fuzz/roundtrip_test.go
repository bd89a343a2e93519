package fuzz

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
)

// maxFuzzTime bounds the creation times FuzzSessionRoundTrip tries to
// about 35,000 years either side of 1970, far past any clock a server has,
// so that deadlines computed from them stay within int64.
const maxFuzzTime = 1 << 40

// FuzzSessionRoundTrip fills a session with arbitrary keys, nested JSON
// values, flashes, a user, flags and times, seals it and opens it again some
// seconds later: what comes back must equal what went in, or the save must
// fail with ErrTooLarge, or set no cookie for a session that holds nothing, or the open must fail with ErrExpired exactly when
// the idle timeout has passed.
func FuzzSessionRoundTrip(f *testing.F) {
	keys := fixedKeys(f)
	f.Add("cart", `[{"SKU":"BOOK-0001","Qty":1}]`, "role", `"editor"`, "saved", "alice", true, false,
		int64(1764115200), uint32(86400), uint32(604800), uint32(60))
	f.Add("", `{"a":{"b":[1,2,{"c":null}]}}`, "ü\x00", `1e400`, "", "", false, true,
		int64(-1), uint32(0), uint32(0), uint32(1))
	f.Add("same", `true`, "same", `false`, "a\nb", "\xff\xfe", true, true,
		int64(1<<40-1), uint32(3600), uint32(3599), uint32(3600))
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, flash, user string, persistent, revocable bool,
		created int64, idleSecs, lifetimeSecs, age uint32) {
		created %= maxFuzzTime
		lifetime := 1 + int64(lifetimeSecs)%(10*365*86400)
		idle := 1 + int64(idleSecs)%lifetime
		now := time.Unix(created, 0)
		clock := func() time.Time { return now }
		store, err := cookiestore.New(keys)
		if err != nil {
			t.Fatal(err)
		}
		m, err := session.NewManager(store, session.Options{Now: clock,
			IdleTimeout: time.Duration(idle) * time.Second, Lifetime: time.Duration(lifetime) * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/", nil)
		s, err := m.Load(req)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}} {
			if !json.Valid([]byte(kv[1])) {
				continue
			}
			if err := s.Set(kv[0], json.RawMessage(kv[1])); err != nil {
				// Values json.Marshal refuses (numbers out of range) fail
				// at Set, as documented.
				continue
			}
			// Set stores what json.Marshal makes of the value: compacted,
			// with HTML characters escaped.
			enc, err := json.Marshal(json.RawMessage(kv[1]))
			if err != nil {
				t.Fatal(err)
			}
			want[kv[0]] = enc
		}
		if flash != "" {
			s.AddFlash(flash)
		}
		s.SetUser(user)
		s.SetPersistent(persistent)
		s.SetRevocable(revocable)
		rec := httptest.NewRecorder()
		err = m.Save(rec, req, s)
		if errors.Is(err, session.ErrTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) == 0 {
			// A new session that holds nothing is not saved.
			if len(want) > 0 || flash != "" || user != "" || persistent || revocable {
				t.Fatal("Save set no cookie for a session that holds something")
			}
			return
		}
		now = now.Add(time.Duration(age) * time.Second)
		req = httptest.NewRequest("GET", "/", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		got, err := m.Load(req)
		if err != nil {
			t.Fatalf("Load %ds after sealing: %v", age, err)
		}
		if int64(age) >= idle {
			if got.ID() == s.ID() {
				t.Fatalf("Load %ds after sealing with idle timeout %ds: got the session, want a new one", age, idle)
			}
			return
		}
		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"StartedAt", got.StartedAt().Unix(), created},
			{"IdleDeadline", got.IdleDeadline().Unix(), created + idle},
			{"Deadline", got.Deadline().Unix(), created + lifetime},
		} {
			if c.got != c.want {
				t.Fatalf("%s: got %d, want %d", c.name, c.got, c.want)
			}
		}
		if got.ID() != s.ID() || got.User() != user || got.Revocable() != revocable {
			t.Fatalf("metadata: got %q %q %v", got.ID(), got.User(), got.Revocable())
		}
		// The persistent flag shows in the cookie of the next save.
		got.Renew()
		resaved := httptest.NewRecorder()
		if err := m.Save(resaved, req, got); err != nil {
			t.Fatalf("Save after the round trip: %v", err)
		}
		if c := resaved.Result().Cookies(); len(c) != 1 || (c[0].MaxAge > 0) != persistent {
			t.Fatalf("persistent %v: the next save set %v", persistent, c)
		}
		if !slices.Equal(got.Keys(), s.Keys()) {
			t.Fatalf("keys: got %q, want %q", got.Keys(), s.Keys())
		}
		for k, v := range want {
			var raw json.RawMessage
			if ok, err := got.Get(k, &raw); !ok || err != nil || !bytes.Equal(raw, v) {
				t.Fatalf("value %q: got %s, %v, %v; want %s", k, raw, ok, err, v)
			}
		}
		wantFlashes := []string(nil)
		if flash != "" {
			wantFlashes = []string{flash}
		}
		if f := got.Flashes(); !slices.Equal(f, wantFlashes) {
			t.Fatalf("flashes: got %q, want %q", f, wantFlashes)
		}
	})
}
