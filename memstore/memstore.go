package memstore

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// defaultMaxRecords is the default Options.MaxRecords.
const defaultMaxRecords = 100_000

// Options configures the backend New returns. The zero value is the default choice; each
// field's comment says its default.
type Options struct {
	// MaxRecords bounds the session records kept. Default 100,000. When it is reached, a new record evicts
	// the one that expires first, expired ones first of all: the backend
	// keeps serving new sessions under a flood of them, at the cost of
	// ending the sessions closest to their idle deadline, whose next
	// request starts a new session. Size it for the peak number of live
	// sessions. Revocation stamps do not count and are never evicted,
	// since dropping one would undo a revocation; they go when they
	// expire.
	MaxRecords int
}

// backend keeps session records and revocation stamps in memory. It is
// safe for concurrent use; every operation is atomic.
type backend struct {
	mu       sync.Mutex
	max      int
	docs     map[string]*entry
	byExpiry expiryHeap
	users    map[string]map[string]bool // user hash -> keys of its records
	stamps   map[string]*serverstore.Stamp
}

type entry struct {
	doc   serverstore.Document
	index int // in byExpiry
}

// New returns an empty backend that keeps records in memory. It panics if
// opts.MaxRecords is negative.
func New(opts Options) serverstore.Backend {
	if opts.MaxRecords < 0 {
		panic(fmt.Sprintf("memstore: negative MaxRecords %d", opts.MaxRecords))
	}
	b := &backend{max: opts.MaxRecords, docs: map[string]*entry{}, users: map[string]map[string]bool{},
		stamps: map[string]*serverstore.Stamp{}}
	if b.max == 0 {
		b.max = defaultMaxRecords
	}
	return b
}

// clone returns a copy of doc that shares no memory with it.
func clone(doc *serverstore.Document) serverstore.Document {
	c := *doc
	c.Key, c.Data, c.User = bytes.Clone(doc.Key), bytes.Clone(doc.Data), bytes.Clone(doc.User)
	c.UserChanged = false // an instruction to Update, not a stored field
	return c
}

// Get returns a copy of the record under key.
func (b *backend) Get(ctx context.Context, key []byte) (*serverstore.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.docs[string(key)]
	if !ok {
		return nil, serverstore.ErrNotFound
	}
	doc := clone(&e.doc)
	return &doc, nil
}

// Insert stores a copy of doc, evicting the record that expires first when
// the backend is full.
func (b *backend) Insert(ctx context.Context, doc *serverstore.Document) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.docs[string(doc.Key)]; ok {
		return serverstore.ErrExists
	}
	if len(b.docs) >= b.max {
		b.remove(b.byExpiry[0])
	}
	e := &entry{doc: clone(doc)}
	b.docs[string(doc.Key)] = e
	heap.Push(&b.byExpiry, e)
	b.index(e)
	return nil
}

// Update writes doc into the record under doc.Key, as the Backend
// contract says, if its version is version.
func (b *backend) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.docs[string(doc.Key)]
	if !ok || e.doc.Version != version {
		return false, nil
	}
	e.doc.Data, e.doc.Version = bytes.Clone(doc.Data), doc.Version
	e.doc.ExpiresAt, e.doc.Updated = later(e.doc.ExpiresAt, doc.ExpiresAt), later(e.doc.Updated, doc.Updated)
	if doc.UserChanged {
		b.unindex(e)
		e.doc.User, e.doc.UserAgent, e.doc.IP = bytes.Clone(doc.User), doc.UserAgent, doc.IP
		b.index(e)
	}
	heap.Fix(&b.byExpiry, e.index)
	return true, nil
}

// Delete deletes the record under key if its version is version, or
// whatever its version when version is 0.
func (b *backend) Delete(ctx context.Context, key []byte, version int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.docs[string(key)]
	if !ok || (version != 0 && e.doc.Version != version) {
		return false, nil
	}
	b.remove(e)
	return true, nil
}

// remove deletes e from every index. b.mu must be held.
func (b *backend) remove(e *entry) {
	heap.Remove(&b.byExpiry, e.index)
	delete(b.docs, string(e.doc.Key))
	b.unindex(e)
}

// index and unindex add e to and remove it from its user's records. b.mu
// must be held.
func (b *backend) index(e *entry) {
	if e.doc.User == nil {
		return
	}
	u := b.users[string(e.doc.User)]
	if u == nil {
		u = map[string]bool{}
		b.users[string(e.doc.User)] = u
	}
	u[string(e.doc.Key)] = true
}

func (b *backend) unindex(e *entry) {
	u := b.users[string(e.doc.User)]
	delete(u, string(e.doc.Key))
	if len(u) == 0 {
		delete(b.users, string(e.doc.User))
	}
}

// ListUser returns copies of the user's records, without their data.
func (b *backend) ListUser(ctx context.Context, user []byte) ([]serverstore.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var docs []serverstore.Document
	for k := range b.users[string(user)] {
		docs = append(docs, clone(&b.docs[k].doc))
	}
	return docs, nil
}

// DeleteUser deletes the user's records.
func (b *backend) DeleteUser(ctx context.Context, user []byte) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	keys := slices.Collect(maps.Keys(b.users[string(user)]))
	for _, k := range keys {
		b.remove(b.docs[k])
	}
	return int64(len(keys)), nil
}

// Scan returns copies of up to limit records whose keys sort after after,
// in key order. It sorts the keys on every call: Rewrap, its user, runs
// rarely.
func (b *backend) Scan(ctx context.Context, after []byte, limit int) ([]serverstore.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var keys []string
	for k := range b.docs {
		if k > string(after) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	docs := make([]serverstore.Document, 0, min(limit, len(keys)))
	for _, k := range keys[:min(limit, len(keys))] {
		docs = append(docs, clone(&b.docs[k].doc))
	}
	return docs, nil
}

// Count returns the number of records.
func (b *backend) Count(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return int64(len(b.docs)), nil
}

// DeleteExpired deletes the records and stamps that expired by now.
func (b *backend) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var n int64
	for len(b.byExpiry) > 0 && !b.byExpiry[0].doc.ExpiresAt.After(now) {
		b.remove(b.byExpiry[0])
		n++
	}
	for k, st := range b.stamps {
		if !st.ExpiresAt.After(now) {
			delete(b.stamps, k)
			n++
		}
	}
	return n, nil
}

// NativeExpiry reports false: the store's cleanup loop deletes expired
// records.
func (b *backend) NativeExpiry() bool { return false }

// expiryHeap orders records by expiry, the first to expire on top.
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].doc.ExpiresAt.Before(h[j].doc.ExpiresAt) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
