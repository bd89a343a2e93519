package hybrid

import (
	"container/list"
	"sync"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// stampCache keeps the revocation stamps of up to limit users, each with the
// time it was read; past limit it evicts the one used longest ago, so that a
// busy server never drops the whole cache at once.
type stampCache struct {
	mu    sync.Mutex
	limit int
	order list.List // of *cachedStamp, most recently used first
	users map[string]*list.Element
}

type cachedStamp struct {
	user    string
	stamp   *serverstore.Stamp
	fetched time.Time
}

func newStampCache(limit int) *stampCache {
	return &stampCache{limit: limit, users: make(map[string]*list.Element)}
}

// get returns the user's stamp if it was read after since and has not
// changed since (see serverstore.Stamp.Changed).
func (c *stampCache) get(user string, since time.Time) (*serverstore.Stamp, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[user]
	if !ok {
		return nil, false
	}
	cs := e.Value.(*cachedStamp)
	if !cs.fetched.After(since) || changed(cs.stamp) {
		return nil, false
	}
	c.order.MoveToFront(e)
	return cs.stamp, true
}

// put records the user's stamp, read at fetched.
func (c *stampCache) put(user string, st *serverstore.Stamp, fetched time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.users[user]; ok {
		e.Value = &cachedStamp{user: user, stamp: st, fetched: fetched}
		c.order.MoveToFront(e)
		return
	}
	if c.order.Len() >= c.limit {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.users, oldest.Value.(*cachedStamp).user)
	}
	c.users[user] = c.order.PushFront(&cachedStamp{user: user, stamp: st, fetched: fetched})
}

// changed reports whether the server store has signalled that st may have
// changed since it was read.
func changed(st *serverstore.Stamp) bool {
	select {
	case <-st.Changed:
		return true
	default:
		return false
	}
}

// forget drops the user's stamp, which this server just changed, so that
// the next check reads it again.
func (c *stampCache) forget(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.users[user]; ok {
		c.order.Remove(e)
		delete(c.users, user)
	}
}
