package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

// RunShared runs the checks of servers that share nothing but the
// database, each as a subtest. open returns a new backend on one shared
// database, each time with a client of its own (its own connections, and
// no lock shared with the others in the process), as the servers of a
// fleet have: a backend whose conditional writes are atomic only within a
// process fails it.
func RunShared(t *testing.T, open func(t *testing.T) serverstore.Backend) {
	t.Run("ConcurrentSaves", func(t *testing.T) { testSharedSaves(t, open) })
	t.Run("RevokeUserRacingLogins", func(t *testing.T) { testRevokeRacingLogins(t, open) })
}

// testSharedSaves saves one session concurrently through several servers:
// no acknowledged change may be lost.
func testSharedSaves(t *testing.T, open func(t *testing.T) serverstore.Backend) {
	const servers, writers, rounds = 4, 4, 6
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Now().Truncate(time.Second))
	quiet := slog.New(slog.DiscardHandler)
	managers := make([]*session.Manager, servers)
	for i := range managers {
		store, err := serverstore.New(keys, open(t), serverstore.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		if managers[i], err = session.NewManager(store, session.Options{Now: clock.Now, Logger: quiet}); err != nil {
			t.Fatal(err)
		}
	}
	r, s := testkit.Load(t, managers[0], nil)
	if err := s.Set("start", 0); err != nil {
		t.Fatal(err)
	}
	cookie := testkit.Save(t, managers[0], r, s)

	var mu sync.Mutex
	acked := map[string]int{}
	conflicts := 0
	run(t, servers*writers, func(w int) error {
		m := managers[w%servers]
		for i := range rounds {
			key := fmt.Sprintf("w%02d-%02d", w, i)
			r, s := testkit.Load(t, m, cookie)
			if err := s.Set(key, i); err != nil {
				return err
			}
			err := m.Save(httptest.NewRecorder(), r, s)
			mu.Lock()
			switch {
			case errors.Is(err, session.ErrConflict):
				conflicts++
			case err == nil:
				acked[key] = i
			}
			mu.Unlock()
			if err != nil && !errors.Is(err, session.ErrConflict) {
				return fmt.Errorf("save of %s: %w", key, err)
			}
		}
		return nil
	})
	_, final := testkit.Load(t, managers[0], cookie)
	if final.ID() != s.ID() {
		t.Fatalf("the session is gone: loaded %q", final.ID())
	}
	lost := 0
	for key, v := range acked {
		if got, ok, err := session.Value[int](final, key); !ok || err != nil || got != v {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged changes lost (%d conflicts)", lost, len(acked), conflicts)
	}
	if len(acked) == 0 {
		t.Error("no save was acknowledged")
	}
}

// testRevokeRacingLogins inserts records of a user and logs records into
// the user while DeleteUser runs again and again, each through a backend
// of its own: at the end every record of the user must be listed by
// ListUser, so that one more DeleteUser leaves none.
func testRevokeRacingLogins(t *testing.T, open func(t *testing.T) serverstore.Backend) {
	const workers, each = 4, 25
	backends := make([]serverstore.Backend, workers+1)
	for i := range backends {
		backends[i] = open(t)
	}
	user := newKey(t)
	expires := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	var writing atomic.Bool
	writing.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for writing.Load() {
			if _, err := backends[workers].DeleteUser(t.Context(), user); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	run(t, workers, func(w int) error {
		b := backends[w]
		for i := range each {
			doc := &serverstore.Document{Key: newKey(t), Data: []byte{1}, Version: 1, ExpiresAt: expires}
			if i%2 == 0 {
				// A new record of the user.
				doc.User = user
				if err := b.Insert(t.Context(), doc); err != nil {
					return err
				}
				continue
			}
			// A login: an anonymous record given the user.
			if err := b.Insert(t.Context(), doc); err != nil {
				return err
			}
			login := *doc
			login.Version, login.User, login.UserChanged = 2, user, true
			if _, err := b.Update(t.Context(), &login, 1); err != nil {
				return err
			}
		}
		return nil
	})
	writing.Store(false)
	<-done
	b := backends[0]
	docs, err := b.ListUser(t.Context(), user)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
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
