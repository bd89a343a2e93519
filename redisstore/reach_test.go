package redisstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/redisstore/internal/redistest"
	"github.com/sessionseal/session/serverstore"
)

// watcher is the optional part of serverstore.Backend that pushes stamp
// changes.
type watcher interface {
	WatchStamps(ctx context.Context, changed func(key []byte)) error
}

// subscribed is a backend that closes ready once its watch of stamps is
// in place, so that a test measures the push, not the subscription.
type subscribed struct {
	serverstore.Backend
	once  sync.Once
	ready chan struct{}
}

func (s *subscribed) WatchStamps(ctx context.Context, changed func(key []byte)) error {
	return s.Backend.(watcher).WatchStamps(ctx, func(key []byte) {
		changed(key)
		if key == nil {
			s.once.Do(func() { close(s.ready) })
		}
	})
}

// TestRevocationReachesTheFleetAtOnce: three servers, each with its own
// client, stores and stamp cache (one minute), over one Redis: a
// RevokeUser on one reaches the cookie on the other two in under a second,
// since Redis pushes the stamp's change to every server.
func TestRevocationReachesTheFleetAtOnce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		keys, err := keyrotation.Generate()
		if err != nil {
			t.Fatal(err)
		}
		prefix := tp.Prefix(t)
		fleet := make([]*session.Manager, 3)
		for i := range fleet {
			b := newBackendPrefix(t, tp, prefix)
			sub := &subscribed{Backend: b, ready: make(chan struct{})}
			server, err := serverstore.New(keys, sub, serverstore.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { server.Close() })
			select {
			case <-sub.ready:
			case <-time.After(10 * time.Second):
				t.Fatalf("server %d did not subscribe to stamp changes", i)
			}
			store, err := hybrid.New(keys, server, hybrid.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			fleet[i], err = session.NewManager(store, session.Options{Logger: quiet, Cookie: session.CookieOptions{AllowInsecureHTTP: true}})
			if err != nil {
				t.Fatal(err)
			}
		}
		for round := range 5 {
			reach := testkit.Reach(t, fleet, "alice", 10*time.Second)
			t.Logf("round %d: RevokeUser on server 0 refused the cookie on servers 1 and 2 after %v", round, reach)
			for i, d := range reach {
				if d >= time.Second {
					t.Errorf("server %d refused the revoked cookie after %v, want under a second", i+1, d)
				}
			}
			// The next round logs in again after the stamp's second.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		}
	})
}

// TestRaiseWithoutPublishPermission: a Redis user whose ACL grants no
// pub/sub channel (the default for users made with ACL SETUSER in Redis
// 7) still raises stamps: the revocation is recorded, only not pushed,
// and other servers see it within their cache TTL.
func TestRaiseWithoutPublishPermission(t *testing.T) {
	tp := redistest.Single(t)
	admin := tp.NewClient(t)
	name := "sessionseal-test-" + strings.TrimSuffix(tp.Prefix(t), ":")
	if err := admin.Do(t.Context(), "ACL", "SETUSER", name, "on", ">pw", "~*", "+@all", "resetchannels").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", name) })
	opts := *admin.(*redis.Client).Options()
	opts.Username, opts.Password = name, "pw"
	limited := redis.NewClient(&opts)
	t.Cleanup(func() { limited.Close() })
	b := newBackend(t, tp, limited)
	nb := time.Now().Truncate(time.Millisecond)
	st, err := b.RaiseStamp(t.Context(), newKey(), &serverstore.Stamp{NotBefore: nb, ExpiresAt: nb.Add(time.Hour)})
	if err != nil || !st.NotBefore.Equal(nb) {
		t.Errorf("RaiseStamp without PUBLISH permission: %+v, %v; want the stamp raised", st, err)
	}
}
