package storetest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/serverstore"
)

// RunShared checks that concurrent saves of one session through several
// servers that share nothing but the database lose no acknowledged change.
// open returns a new backend on one shared database, each time with a
// client of its own (its own connections, and no lock shared with the
// others in the process), as the servers of a fleet have: a backend whose
// conditional writes are atomic only within a process fails it.
func RunShared(t *testing.T, open func(t *testing.T) serverstore.Backend) {
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
