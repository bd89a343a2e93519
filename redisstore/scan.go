package redisstore

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session/serverstore"
)

// Scan, Count and DeleteExpired walk every key under the prefix with SCAN,
// on every master of a cluster: Redis keeps no order of keys, and the
// backend keeps no list of them that every write would have to update.
// Each call therefore costs a pass over the keyspace; Rewrap, their only
// caller on a live store, makes one per page of 256 records.

// scanCount is the COUNT hint of each SCAN.
const scanCount = 1000

// pattern returns the SCAN pattern of the keys under tag: the prefix with
// its glob characters escaped.
func (b *backend) pattern(tag string) string {
	var p strings.Builder
	for _, r := range b.prefix + tag {
		if strings.ContainsRune(`*?[]\`, r) {
			p.WriteByte('\\')
		}
		p.WriteRune(r)
	}
	p.WriteString("*")
	return p.String()
}

// walk calls fn with each batch of key names under tag, from every master;
// fn may be called concurrently.
func (b *backend) walk(ctx context.Context, tag string, fn func(names []string) error) error {
	pattern := b.pattern(tag)
	scan := func(ctx context.Context, c *redis.Client) error {
		var cursor uint64
		for {
			names, next, err := c.Scan(ctx, cursor, pattern, scanCount).Result()
			if err != nil {
				return fail(err)
			}
			if len(names) > 0 {
				if err := fn(names); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if b.cluster == nil {
		return scan(ctx, b.client.(*redis.Client))
	}
	var mu sync.Mutex
	var failed error // the first of scan's errors, already wrapped
	err := b.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		err := scan(ctx, c)
		if err != nil {
			mu.Lock()
			failed = cmp.Or(failed, err)
			mu.Unlock()
		}
		return err
	})
	switch {
	case failed != nil:
		return failed
	case err != nil:
		// The cluster's layout could not be loaded.
		return fail(err)
	}
	return nil
}

// Scan returns up to limit records with keys after after, in key order.
// Each pass keeps the smallest keys after after; a record deleted between
// the pass and its read is made up for by another pass.
func (b *backend) Scan(ctx context.Context, after []byte, limit int) ([]serverstore.Document, error) {
	var docs []serverstore.Document
	for len(docs) < limit {
		want := limit - len(docs)
		keys, err := b.smallest(ctx, after, want)
		if err != nil {
			return nil, err
		}
		found, err := b.read(ctx, keys)
		if err != nil {
			return nil, err
		}
		for _, doc := range found {
			docs = append(docs, *doc)
		}
		if len(keys) < want {
			break
		}
		after = keys[len(keys)-1]
	}
	return docs, nil
}

// smallest returns the n smallest record keys after after, in order.
func (b *backend) smallest(ctx context.Context, after []byte, n int) ([][]byte, error) {
	var mu sync.Mutex
	var keys [][]byte
	err := b.walk(ctx, sessionTag, func(names []string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range names {
			if k, ok := b.parseName(sessionTag, name); ok && bytes.Compare(k, after) > 0 {
				keys = append(keys, k)
			}
		}
		// Bound the memory to twice the page.
		if len(keys) > 2*n {
			slices.SortFunc(keys, bytes.Compare)
			keys = keys[:n]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, bytes.Compare)
	// A cluster in the middle of moving a slot may list a key twice.
	keys = slices.CompactFunc(keys, bytes.Equal)
	return keys[:min(n, len(keys))], nil
}

// Count counts the records with one pass of SCAN; there is no counter,
// which the keys' own expiry would leave behind.
func (b *backend) Count(ctx context.Context) (int64, error) {
	var mu sync.Mutex
	var n int64
	err := b.walk(ctx, sessionTag, func(names []string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range names {
			if _, ok := b.parseName(sessionTag, name); ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// deleteExpiredScript deletes a record or stamp whose x is not after a
// time. KEYS[1] the key; ARGV[1] the time (Unix ms).
var deleteExpiredScript = redis.NewScript(`
local x = redis.call('HGET', KEYS[1], 'x')
if not x or tonumber(x) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// DeleteExpired deletes the records and stamps whose ExpiresAt is not
// after now, by a pass of SCAN over each kind and a script per key. The
// store never calls it, since Redis expires the keys itself at the same
// times by its own clock; it is there for callers that judge by another.
func (b *backend) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var mu sync.Mutex
	var n int64
	for _, tag := range []string{sessionTag, stampTag} {
		err := b.walk(ctx, tag, func(names []string) error {
			names = slices.DeleteFunc(names, func(name string) bool {
				_, ok := b.parseName(tag, name)
				return !ok
			})
			deleted, err := b.evalEach(ctx, deleteExpiredScript, names, millis(now))
			mu.Lock()
			n += deleted
			mu.Unlock()
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
