package serverstore_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
)

func TestKeyRotationResealsRecord(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		srv := testkit.KVServer(t, f.manager(t, f.store, insecure))
		_, _, c := get(t, srv, "/set?k=a&v=1", nil)
		id := testkit.Rotate(t, f.keys)
		_, body, c2 := get(t, srv, "/get?k=a", c)
		if body != "1" || c2 == c {
			t.Fatalf("after promote: body %q, cookie re-issued %v", body, c2 != c)
		}
		parsed, _, err := jwt.NewParser().ParseUnverified(c2.Value, &jwt.RegisteredClaims{})
		if err != nil || parsed.Header["kid"] != fmt.Sprint(id) {
			t.Errorf("re-signed token kid %v, want %d (%v)", parsed.Header["kid"], id, err)
		}
	})
}

// TestTokenResignedAfterRewrap checks that a token signed under an old key
// is re-signed on the next response even when Rewrap has already moved the
// record to the primary key, so that the old key can then be disabled.
func TestTokenResignedAfterRewrap(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		srv := testkit.KVServer(t, f.manager(t, f.store, insecure))
		old := f.keys.Keys()[0].ID
		_, _, c := get(t, srv, "/set?k=a&v=1", nil)
		testkit.Rotate(t, f.keys)
		if n, err := f.store.Rewrap(ctx, nil); err != nil || n != 1 {
			t.Fatalf("Rewrap: %d, %v; want 1", n, err)
		}
		_, body, c2 := get(t, srv, "/get?k=a", c)
		if body != "1" || c2 == c {
			t.Fatalf("after Rewrap: body %q, cookie re-issued %v; want 1 and a new cookie", body, c2 != c)
		}
		if err := f.keys.Disable(old); err != nil {
			t.Fatal(err)
		}
		if _, body, _ := get(t, srv, "/get?k=a", c2); body != "1" {
			t.Errorf("re-signed token after the old key was disabled: body %q, want 1", body)
		}
	})
}

func TestRewrap(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		m := f.manager(t, f.store, session.Options{})
		// More than a page of the scan (256).
		const sessions = 260
		var cookies []string
		for i := range sessions {
			r, s := testkit.Load(t, m, nil)
			s.Set("n", i)
			cookies = append(cookies, testkit.Save(t, m, r, s).Value)
		}
		id := testkit.Rotate(t, f.keys)
		var calls int64
		n, err := f.store.Rewrap(ctx, func(done, total int64) {
			calls++
			if done != calls || total != sessions {
				t.Errorf("progress(%d, %d) on call %d, want (%d, %d)", done, total, calls, calls, sessions)
			}
		})
		if err != nil || n != sessions || calls != sessions {
			t.Fatalf("Rewrap: %d, %v after %d calls of progress; want %d", n, err, calls, sessions)
		}
		if n, err := f.store.Rewrap(ctx, nil); err != nil || n != 0 {
			t.Errorf("second Rewrap: %d, %v; want 0", n, err)
		}
		// Every record is sealed under the new key and still opens.
		docs, err := f.b.Scan(ctx, nil, 2*sessions)
		if err != nil || len(docs) != sessions {
			t.Fatalf("Scan: %d, %v", len(docs), err)
		}
		for _, d := range docs {
			if kid := uint32(d.Data[2])<<24 | uint32(d.Data[3])<<16 | uint32(d.Data[4])<<8 | uint32(d.Data[5]); kid != id {
				t.Errorf("record sealed under key %d after Rewrap, want %d", kid, id)
			}
		}
		for i, tok := range cookies {
			rec, err := f.load(t, m, tok)
			if err != nil {
				t.Fatalf("session %d after rewrap: %v", i, err)
			}
			if !rec.Reseal {
				t.Errorf("session %d: a token under the old key does not ask to be re-signed", i)
			}
		}
		_, s := testkit.Load(t, m, &http.Cookie{Name: m.CookieName(), Value: cookies[7]})
		if v, _, _ := session.Value[int](s, "n"); v != 7 {
			t.Errorf("session 7: n = %d", v)
		}
	})
}
