package pgstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/serverstore"
)

// TestConcurrentSavesIndependentPools has requests of one session save
// different keys at once through four servers that share nothing but the
// database: each its own pool, backend, store and Manager, and no lock in
// common. Every change a save acknowledged must be in the session at the
// end.
func TestConcurrentSavesIndependentPools(t *testing.T) {
	const servers, writers, rounds = 4, 4, 8
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Now().Truncate(time.Second))
	url := pgtest.URL(t)
	managers := make([]*session.Manager, servers)
	for i := range managers {
		f := newFixtureWith(t, keys, clock, backendOn(t, newPool(t, url, nil), pgstore.Options{}))
		managers[i] = f.manager(t, nil, session.Options{})
	}
	r, s := testkit.Load(t, managers[0], nil)
	s.SetUser("user-1")
	cookie := testkit.Save(t, managers[0], r, s)

	var acked, conflicts atomic.Int64
	var mu sync.Mutex
	want := map[string]int{}
	var wg sync.WaitGroup
	for w := range servers * writers {
		m := managers[w%servers]
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("w%02d-%02d", w, i)
				r, s := testkit.Load(t, m, cookie)
				if err := s.Set(key, i); err != nil {
					t.Error(err)
					return
				}
				err := m.Save(httptest.NewRecorder(), r, s)
				switch {
				case errors.Is(err, session.ErrConflict):
					conflicts.Add(1)
				case err != nil:
					t.Errorf("save of %s: %v", key, err)
				default:
					acked.Add(1)
					mu.Lock()
					want[key] = i
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()

	_, final := testkit.Load(t, managers[0], cookie)
	if final.ID() != s.ID() {
		t.Fatalf("the session is gone: loaded %q", final.ID())
	}
	lost := 0
	for key, v := range want {
		if got, ok, err := session.Value[int](final, key); !ok || err != nil || got != v {
			lost++
			t.Errorf("%s: got %d, %v, %v; want %d, acknowledged", key, got, ok, err, v)
		}
	}
	if acked.Load() == 0 {
		t.Error("no save was acknowledged")
	}
	t.Logf("%d saves acknowledged, %d refused as conflicts, %d keys stored, %d acknowledged changes lost",
		acked.Load(), conflicts.Load(), len(final.Keys()), lost)
}

// TestRevokeUserRacingLogins inserts records of a user and logs records
// into the user while DeleteUser runs again and again, through pools of
// their own: at the end every record of the user must be listed by
// ListUser, so that one more DeleteUser leaves none.
func TestRevokeUserRacingLogins(t *testing.T) {
	const workers, each = 4, 25
	url := pgtest.URL(t)
	backends := make([]serverstore.Backend, workers+1)
	for i := range backends {
		backends[i] = backendOn(t, newPool(t, url, nil), pgstore.Options{})
	}
	user := newKey()
	expires := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	var writing atomic.Bool
	writing.Store(true)
	done := make(chan struct{})
	var revoked atomic.Int64
	go func() {
		defer close(done)
		for writing.Load() {
			n, err := backends[workers].DeleteUser(t.Context(), user)
			if err != nil {
				t.Error(err)
				return
			}
			revoked.Add(n)
		}
	}()
	for w := range workers {
		b := backends[w]
		wg.Go(func() {
			for i := range each {
				doc := &serverstore.Document{Key: newKey(), Data: []byte{1}, Version: 1, ExpiresAt: expires}
				if i%2 == 0 {
					// A new record of the user.
					doc.User = user
					if err := b.Insert(t.Context(), doc); err != nil {
						t.Error(err)
					}
					continue
				}
				// A login: an anonymous record given the user.
				if err := b.Insert(t.Context(), doc); err != nil {
					t.Error(err)
					continue
				}
				login := *doc
				login.Version, login.User, login.UserChanged = 2, user, true
				if _, err := b.Update(t.Context(), &login, 1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	writing.Store(false)
	<-done
	b := backends[0]
	listed := map[string]bool{}
	docs, err := b.ListUser(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		listed[string(d.Key)] = true
	}
	live := ofUser(t, b, user)
	for _, k := range live {
		if !listed[string(k)] {
			t.Errorf("record %x of the user is live and not listed", k)
		}
	}
	if n, err := b.DeleteUser(t.Context(), user); n != int64(len(live)) || err != nil {
		t.Errorf("last DeleteUser: %d, %v; want the %d live records", n, err, len(live))
	}
	if left := ofUser(t, b, user); len(left) != 0 {
		t.Errorf("%d records of the user left after the last DeleteUser", len(left))
	}
	t.Logf("%d records revoked while they were written, %d left for the last DeleteUser", revoked.Load(), len(live))
}

// ofUser returns the keys of every record of user, found by Scan.
func ofUser(t *testing.T, b serverstore.Backend, user []byte) [][]byte {
	t.Helper()
	var keys [][]byte
	var after []byte
	for {
		page, err := b.Scan(t.Context(), after, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			if bytes.Equal(d.User, user) {
				keys = append(keys, d.Key)
			}
		}
		if len(page) < 100 {
			return keys
		}
		after = page[len(page)-1].Key
	}
}
