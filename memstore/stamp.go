package memstore

import (
	"context"
	"maps"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// copyStamp returns a copy of st that shares no memory with it.
func copyStamp(st *serverstore.Stamp) *serverstore.Stamp {
	c := *st
	c.Ended = maps.Clone(st.Ended)
	return &c
}

// GetStamp returns a copy of the stamp under key.
func (b *backend) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.stamps[string(key)]
	if !ok {
		return nil, serverstore.ErrNotFound
	}
	return copyStamp(st), nil
}

// RaiseStamp moves each time of the stamp under key forward to st's.
func (b *backend) RaiseStamp(ctx context.Context, key []byte, st *serverstore.Stamp) (*serverstore.Stamp, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.stamps[string(key)]
	if !ok {
		cur = &serverstore.Stamp{}
		b.stamps[string(key)] = cur
	}
	cur.NotBefore = later(cur.NotBefore, st.NotBefore)
	cur.ExpiresAt = later(cur.ExpiresAt, st.ExpiresAt)
	for h, t := range st.Ended {
		if cur.Ended == nil {
			cur.Ended = map[string]time.Time{}
		}
		cur.Ended[h] = later(cur.Ended[h], t)
	}
	return copyStamp(cur), nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// DropEnded removes the named entries from the stamp under key.
func (b *backend) DropEnded(ctx context.Context, key []byte, handles []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.stamps[string(key)]; ok {
		for _, h := range handles {
			delete(st.Ended, h)
		}
	}
	return nil
}
