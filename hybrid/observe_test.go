package hybrid_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

// stampsDown is a backend whose revocation stamps can be made unreadable.
type stampsDown struct {
	serverstore.Backend
	down atomic.Bool
}

func (b *stampsDown) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	if b.down.Load() {
		return nil, fmt.Errorf("stampsDown: %w", session.ErrStoreUnavailable)
	}
	return b.Backend.GetStamp(ctx, key)
}

// TestRevocationChecksReported checks that each revocation check reaches
// the Manager's Observer with where the stamp came from and its outcome.
func TestRevocationChecksReported(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("FailOpen=%t", failOpen), func(t *testing.T) {
			keys, err := keyrotation.Generate()
			if err != nil {
				t.Fatal(err)
			}
			db := &stampsDown{Backend: memstore.New(memstore.Options{})}
			server, err := serverstore.New(keys, db, serverstore.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			store, err := hybrid.New(keys, server, hybrid.Options{FailOpen: failOpen, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			clk := testkit.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
			obs := new(testkit.Observer)
			m, err := session.NewManager(store, session.Options{Observer: obs, Logger: quiet, Now: clk.Now,
				Cookie: session.CookieOptions{AllowInsecureHTTP: true}})
			if err != nil {
				t.Fatal(err)
			}
			r, s := testkit.Load(t, m, nil)
			s.SetUser("user-1")
			c := testkit.Save(t, m, r, s)
			testkit.Load(t, m, c) // the stamp from the store
			testkit.Load(t, m, c) // then from the cache
			clk.Advance(2 * time.Minute)
			db.down.Store(true)
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(c)
			if _, err := m.Load(req); failOpen == (err != nil) || err != nil && !errors.Is(err, session.ErrStoreUnavailable) {
				t.Fatalf("stamp unreadable: Load error %v", err)
			}
			db.down.Store(false)
			clk.Advance(time.Second)
			if _, err := m.RevokeUser(context.Background(), "user-1"); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)
			if _, s := testkit.Load(t, m, c); s.User() != "" {
				t.Fatal("the revoked session was loaded")
			}
			unreadable := "revocation store failed_closed"
			if failOpen {
				unreadable = "revocation store failed_open"
			}
			got, _ := obs.TakeOthers()
			want := []string{"revocation store valid", "revocation cache valid", unreadable, "revocation store revoked"}
			if !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
		})
	}
}
