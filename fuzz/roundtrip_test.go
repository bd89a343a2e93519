package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// FuzzSessionRoundTrip fills a session with arbitrary keys, nested JSON
// values, flashes, a user and flags, seals it and opens it again: what comes
// back must equal what went in, or the save must fail with ErrTooLarge.
func FuzzSessionRoundTrip(f *testing.F) {
	keys, err := keyrotation.Generate()
	if err != nil {
		f.Fatal(err)
	}
	store, err := cookiestore.New(keys, cookiestore.Options{})
	if err != nil {
		f.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("cart", `[{"SKU":"BOOK-0001","Qty":1}]`, "role", `"editor"`, "saved", "alice", true, false)
	f.Add("", `{"a":{"b":[1,2,{"c":null}]}}`, "ü\x00", `1e400`, "", "", false, true)
	f.Add("same", `true`, "same", `false`, "a\nb", "\xff\xfe", true, true)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, flash, user string, persistent, revocable bool) {
		s := m.NewSession()
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
		token, err := store.Save(context.Background(), s)
		if errors.Is(err, session.ErrTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		got, err := store.Load(context.Background(), token)
		if err != nil {
			t.Fatalf("Load of a token just sealed: %v", err)
		}
		if got.ID() != s.ID() || got.User() != user || got.Persistent() != persistent || got.Revocable() != revocable {
			t.Fatalf("metadata: got %q %q %v %v", got.ID(), got.User(), got.Persistent(), got.Revocable())
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
