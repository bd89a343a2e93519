package mongostore

import "sync"

// turns makes the saves of one session from this process take turns,
// while saves of other sessions go on: a lock per record _id in use,
// dropped when no save holds or waits for it.
type turns struct {
	mu    sync.Mutex
	locks map[string]*turn
}

type turn struct {
	sync.Mutex
	users int // saves holding or waiting for the lock; guarded by turns.mu
}

// take waits for the turn of the record key and returns the function that
// ends it.
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
