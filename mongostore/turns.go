package mongostore

import "sync"

// turns makes the writes of one key from this process take turns, while
// writes of other keys go on: a lock per key in use, dropped when no write
// holds or waits for it. MongoDB applies a conditional update atomically
// by itself; FerretDB 1.24 reads, then writes (FerretDB issue 3040), so
// without turns two saves of one session from one process could both
// match the same version and the later overwrite the earlier.
type turns struct {
	mu    sync.Mutex
	locks map[string]*turn
}

type turn struct {
	sync.Mutex
	users int // writes holding or waiting for the lock; guarded by turns.mu
}

// take waits for the turn of key and returns the function that ends it.
func (t *turns) take(key []byte) (done func()) {
	t.mu.Lock()
	if t.locks == nil {
		t.locks = map[string]*turn{}
	}
	l := t.locks[string(key)]
	if l == nil {
		l = &turn{}
		t.locks[string(key)] = l
	}
	l.users++
	t.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		t.mu.Lock()
		if l.users--; l.users == 0 {
			delete(t.locks, string(key))
		}
		t.mu.Unlock()
	}
}
