package serverstore

import (
	"context"
	"encoding/binary"
	"sync"
	"time"
)

// stampWatcher is the optional part of Backend, for a database that can
// push: see Backend.
type stampWatcher interface {
	WatchStamps(ctx context.Context, changed func(key []byte)) error
}

// stampBuckets is the number of signals that stand for stamp changes. A
// change fires the signal of its stamp's bucket, so that the caches of
// about one user in this many re-read their stamp: a bound on memory that
// costs a few needless reads.
const stampBuckets = 4096

// signals tells the holders of stamps that their stamp may have changed.
// Each bucket of stamp keys has a channel, made when a stamp of the bucket
// is read and closed, then forgotten, when one of them changes.
type signals struct {
	mu sync.Mutex
	ch [stampBuckets]chan struct{}
}

func bucket(key []byte) int { return int(binary.BigEndian.Uint16(key)) % stampBuckets }

// current returns the channel that the next change of the stamp under key
// closes. Taken before the stamp is read, it misses no change after.
func (g *signals) current(key []byte) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := bucket(key)
	if g.ch[i] == nil {
		g.ch[i] = make(chan struct{})
	}
	return g.ch[i]
}

// fire closes the channel of the stamp under key, or of every stamp when
// key is nil, or too short to be a stamp's.
func (g *signals) fire(key []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(key) < 2 {
		for i, c := range g.ch {
			if c != nil {
				close(c)
				g.ch[i] = nil
			}
		}
		return
	}
	if i := bucket(key); g.ch[i] != nil {
		close(g.ch[i])
		g.ch[i] = nil
	}
}

// maxWatchPause bounds the pause before the store watches stamps again
// after the backend's watch failed.
const maxWatchPause = 30 * time.Second

// watch runs the backend's watch of stamps until ctx ends, again after
// each failure, with a pause that grows from a second while it keeps
// failing. While no watch runs, changes may go unseen: every stamp is
// then taken as changed, and the caches fall back on their lifetimes.
func (s *Store) watch(ctx context.Context, w stampWatcher) {
	pause := time.Second
	for {
		start := time.Now()
		err := w.WatchStamps(ctx, s.signals.fire)
		s.signals.fire(nil)
		if ctx.Err() != nil {
			return
		}
		s.log.WarnContext(ctx, "serverstore: watching revocation stamps", "err", err, "retry", pause)
		if time.Since(start) > maxWatchPause {
			pause = time.Second
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, maxWatchPause)
	}
}
