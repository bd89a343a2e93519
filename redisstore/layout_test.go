package redisstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/redisstore/internal/redistest"
	"github.com/sessionseal/session/serverstore"
)

func newKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// names gives the key names of the layout the package documents.
type names string

func (p names) record(key []byte) string { return string(p) + "s:{" + hex.EncodeToString(key) + "}" }
func (p names) user(user []byte) string  { return string(p) + "u:{" + hex.EncodeToString(user) + "}" }
func (p names) stamp(key []byte) string  { return string(p) + "t:{" + hex.EncodeToString(key) + "}" }

// backendAt returns a backend over client under prefix.
func backendAt(t testing.TB, client redis.UniversalClient, prefix string) serverstore.Backend {
	t.Helper()
	b, err := redisstore.New(client, redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expireTime returns the PEXPIRETIME of name.
func expireTime(t *testing.T, c redis.UniversalClient, name string) time.Time {
	t.Helper()
	ms, err := c.Do(t.Context(), "PEXPIRETIME", name).Int64()
	if err != nil || ms < 0 {
		t.Fatalf("PEXPIRETIME: %d, %v", ms, err)
	}
	return time.UnixMilli(ms)
}

// score returns the score of member in the sorted set name.
func score(t *testing.T, c redis.UniversalClient, name string, key []byte) time.Time {
	t.Helper()
	s, err := c.ZScore(t.Context(), name, hex.EncodeToString(key)).Result()
	if err != nil {
		t.Fatalf("ZSCORE: %v", err)
	}
	return time.UnixMilli(int64(s))
}

// TestKeyLayout checks the keys, expiries and index the package
// documentation describes: a record expires at its ExpiresAt, its user's
// index lists it at least that long and expires a minute after its last
// member, and a stamp expires at its ExpiresAt.
func TestKeyLayout(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		c := tp.Client(t)
		p := names(tp.Prefix(t))
		b := backendAt(t, c, string(p))
		now := time.Now().Truncate(time.Millisecond)
		user := newKey()
		doc := &serverstore.Document{Key: newKey(), Data: []byte("data"), User: user, Version: 1,
			ExpiresAt: now.Add(time.Hour), Updated: now}
		if err := b.Insert(t.Context(), doc); err != nil {
			t.Fatal(err)
		}
		if got := expireTime(t, c, p.record(doc.Key)); !got.Equal(doc.ExpiresAt) {
			t.Errorf("record expires at %v, want its ExpiresAt %v", got, doc.ExpiresAt)
		}
		if got := score(t, c, p.user(user), doc.Key); !got.Equal(doc.ExpiresAt) {
			t.Errorf("index score %v, want the record's ExpiresAt %v", got, doc.ExpiresAt)
		}
		if got := expireTime(t, c, p.user(user)); !got.Equal(doc.ExpiresAt.Add(time.Minute)) {
			t.Errorf("index expires at %v, want a minute after its last member, %v", got, doc.ExpiresAt.Add(time.Minute))
		}

		// An update that moves the expiry moves the record's and the
		// index's; one that would move it back moves neither.
		for _, c := range []struct {
			name    string
			expires time.Time
			want    time.Time
		}{
			{"later", now.Add(2 * time.Hour), now.Add(2 * time.Hour)},
			{"earlier", now.Add(time.Hour), now.Add(2 * time.Hour)},
		} {
			next := *doc
			next.Version, next.ExpiresAt = doc.Version+1, c.expires
			if ok, err := b.Update(t.Context(), &next, doc.Version); !ok || err != nil {
				t.Fatalf("Update %s: %v, %v", c.name, ok, err)
			}
			doc = &next
			if got := expireTime(t, tp.Client(t), p.record(doc.Key)); !got.Equal(c.want) {
				t.Errorf("after an Update %s: record expires at %v, want %v", c.name, got, c.want)
			}
			if got := score(t, tp.Client(t), p.user(user), doc.Key); got.Before(c.want) {
				t.Errorf("after an Update %s: index score %v, before the record's expiry %v", c.name, got, c.want)
			}
		}

		stampKey := newKey()
		if _, err := b.RaiseStamp(t.Context(), stampKey, &serverstore.Stamp{NotBefore: now, ExpiresAt: now.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got := expireTime(t, c, p.stamp(stampKey)); !got.Equal(now.Add(3 * time.Hour)) {
			t.Errorf("stamp expires at %v, want %v", got, now.Add(3*time.Hour))
		}

		if cc, ok := c.(*redis.ClusterClient); ok {
			// Each key's slot is its hash tag's, whatever the prefix.
			for _, name := range []string{p.record(doc.Key), p.user(user), p.stamp(stampKey)} {
				bare := name[strings.IndexByte(name, '{'):]
				got, err := cc.ClusterKeySlot(t.Context(), name).Result()
				if err != nil {
					t.Fatal(err)
				}
				want, err := cc.ClusterKeySlot(t.Context(), "other prefix:"+bare).Result()
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("slot of %s: %d, want %d, that of its hash tag", name, got, want)
				}
			}
		}
	})
}

// TestIndexDropsExpiredMembers: a write of a user's index drops the
// members whose time passed more than a minute ago; members of records
// deleted earlier stay, and listings skip them.
func TestIndexDropsExpiredMembers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		c := tp.Client(t)
		p := names(tp.Prefix(t))
		b := backendAt(t, c, string(p))
		now := time.Now().Truncate(time.Millisecond)
		user := newKey()
		var keys [][]byte
		for _, exp := range []time.Duration{-10 * time.Minute, time.Hour, 2 * time.Hour} {
			doc := &serverstore.Document{Key: newKey(), Data: []byte{1}, User: user, Version: 1, ExpiresAt: now.Add(exp)}
			if err := b.Insert(t.Context(), doc); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, doc.Key)
		}
		if ok, err := b.Delete(t.Context(), keys[2], 0); !ok || err != nil {
			t.Fatalf("Delete: %v, %v", ok, err)
		}
		members, err := c.ZRange(t.Context(), p.user(user), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{hex.EncodeToString(keys[1]), hex.EncodeToString(keys[2])}
		if !slices.Equal(members, want) {
			t.Errorf("index members %v, want %v: the expired one dropped, the deleted one kept", members, want)
		}
		if got := expireTime(t, c, p.user(user)); !got.Equal(now.Add(2*time.Hour + time.Minute)) {
			t.Errorf("index expires at %v, want a minute after its last member, %v", got, now.Add(2*time.Hour+time.Minute))
		}
		docs, err := b.ListUser(t.Context(), user)
		if err != nil || len(docs) != 1 || !bytes.Equal(docs[0].Key, keys[1]) {
			t.Errorf("ListUser: %d records, %v; want the live one", len(docs), err)
		}
	})
}

// TestDeleteUserSparesMovedRecords: a record that moved to another user
// stays listed in its first user's index until its expiry, and neither
// that user's listing nor its revocation reaches it.
func TestDeleteUserSparesMovedRecords(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		b := newBackend(t, tp, nil)
		alice, bob := newKey(), newKey()
		doc := &serverstore.Document{Key: newKey(), Data: []byte{1}, User: alice, Version: 1, ExpiresAt: time.Now().Add(time.Hour)}
		if err := b.Insert(t.Context(), doc); err != nil {
			t.Fatal(err)
		}
		moved := *doc
		moved.Version, moved.User, moved.UserChanged = 2, bob, true
		if ok, err := b.Update(t.Context(), &moved, 1); !ok || err != nil {
			t.Fatalf("Update to another user: %v, %v", ok, err)
		}
		if docs, err := b.ListUser(t.Context(), alice); len(docs) != 0 || err != nil {
			t.Errorf("ListUser of the first user: %d records, %v; want none", len(docs), err)
		}
		if n, err := b.DeleteUser(t.Context(), alice); n != 0 || err != nil {
			t.Errorf("DeleteUser of the first user: %d, %v; want 0", n, err)
		}
		if got, err := b.Get(t.Context(), doc.Key); err != nil || !bytes.Equal(got.User, bob) {
			t.Errorf("the moved record after the first user's DeleteUser: %+v, %v; want it kept, of the second user", got, err)
		}
	})
}

// TestUpdateListsTheStoredUser: an update that keeps a record's user
// without naming it, and moves its expiry, first lists the record in that
// user's index for as long; so does one that moves the expiry past the
// listing the caller made.
func TestUpdateListsTheStoredUser(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		c := tp.Client(t)
		p := names(tp.Prefix(t))
		b := backendAt(t, c, string(p))
		now := time.Now().Truncate(time.Millisecond)
		user := newKey()
		doc := &serverstore.Document{Key: newKey(), Data: []byte{1}, User: user, Version: 1, ExpiresAt: now.Add(time.Hour)}
		if err := b.Insert(t.Context(), doc); err != nil {
			t.Fatal(err)
		}
		// No user in the update: the stored one stays.
		next := &serverstore.Document{Key: doc.Key, Data: []byte{2}, Version: 2, ExpiresAt: now.Add(2 * time.Hour)}
		if ok, err := b.Update(t.Context(), next, 1); !ok || err != nil {
			t.Fatalf("Update: %v, %v", ok, err)
		}
		if got := score(t, c, p.user(user), doc.Key); got.Before(next.ExpiresAt) {
			t.Errorf("index score %v, before the record's new expiry %v", got, next.ExpiresAt)
		}
		// A new user in the update: the record is listed there.
		other := newKey()
		login := &serverstore.Document{Key: doc.Key, Data: []byte{3}, User: other, Version: 3,
			ExpiresAt: now.Add(3 * time.Hour), UserChanged: true}
		if ok, err := b.Update(t.Context(), login, 2); !ok || err != nil {
			t.Fatalf("Update with a new user: %v, %v", ok, err)
		}
		if got := score(t, c, p.user(other), doc.Key); got.Before(login.ExpiresAt) {
			t.Errorf("new user's index score %v, before the record's expiry %v", got, login.ExpiresAt)
		}
		if got := expireTime(t, c, p.record(doc.Key)); !got.Equal(login.ExpiresAt) {
			t.Errorf("record expires at %v, want %v", got, login.ExpiresAt)
		}
	})
}

// counter counts the commands a client sends, by name, and a pipeline as
// one; "script" stands for EVALSHA and EVAL. Not counted: a script's first
// run on a node, which Redis answers NOSCRIPT before the client sends the
// source, and the commands that set up a new connection; both happen once.
type counter struct {
	mu    sync.Mutex
	names []string
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		switch name := cmd.Name(); {
		case redis.HasErrorPrefix(err, "NOSCRIPT"), name == "hello", name == "client":
		case name == "eval", name == "evalsha":
			c.add("script")
		default:
			c.add(name)
		}
		return err
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !slices.ContainsFunc(cmds, func(cmd redis.Cmder) bool { return cmd.Name() != "client" && cmd.Name() != "hello" }) {
			return next(ctx, cmds)
		}
		c.add("pipeline")
		return next(ctx, cmds)
	}
}

func (c *counter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, name)
}

func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.names
	c.names = nil
	return n
}

// TestRoundTrips checks the round trips the package documentation lists,
// per backend call and per request.
func TestRoundTrips(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		var cmds counter
		client := tp.NewClient(t)
		client.AddHook(&cmds)
		b := backendAt(t, client, tp.Prefix(t))
		now := time.Now().Truncate(time.Millisecond)
		user, stampKey := newKey(), newKey()
		plain := &serverstore.Document{Key: newKey(), Data: []byte{1}, Version: 1, ExpiresAt: now.Add(time.Hour)}
		owned := &serverstore.Document{Key: newKey(), Data: []byte{1}, User: user, Version: 1, ExpiresAt: now.Add(time.Hour)}
		for _, c := range []struct {
			name string
			call func() error
			want []string
		}{
			{"Insert without a user", func() error { return b.Insert(t.Context(), plain) }, []string{"script"}},
			{"Insert with a user", func() error { return b.Insert(t.Context(), owned) }, []string{"script", "script"}},
			{"Get", func() error { _, err := b.Get(t.Context(), owned.Key); return err }, []string{"hgetall"}},
			{"Update without a user", func() error {
				next := *plain
				next.Version = 2
				_, err := b.Update(t.Context(), &next, 1)
				return err
			}, []string{"script"}},
			{"Update with a user", func() error {
				next := *owned
				next.Version, next.ExpiresAt = 2, now.Add(2*time.Hour)
				_, err := b.Update(t.Context(), &next, 1)
				return err
			}, []string{"script", "script"}},
			{"ListUser", func() error { _, err := b.ListUser(t.Context(), user); return err }, []string{"zrange", "pipeline"}},
			{"Delete", func() error { _, err := b.Delete(t.Context(), plain.Key, 2); return err }, []string{"script"}},
			{"DeleteUser", func() error { _, err := b.DeleteUser(t.Context(), user); return err }, []string{"zrange", "pipeline"}},
			{"RaiseStamp", func() error {
				_, err := b.RaiseStamp(t.Context(), stampKey, &serverstore.Stamp{NotBefore: now, ExpiresAt: now.Add(time.Hour),
					Ended: map[string]time.Time{"h": now.Add(time.Hour)}})
				return err
			}, []string{"script"}},
			{"GetStamp", func() error { _, err := b.GetStamp(t.Context(), stampKey); return err }, []string{"hgetall"}},
			{"DropEnded", func() error { return b.DropEnded(t.Context(), stampKey, []string{"h"}) }, []string{"hdel"}},
		} {
			cmds.take()
			if err := c.call(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := cmds.take(); !slices.Equal(got, c.want) {
				t.Errorf("%s: commands %v, want %v", c.name, got, c.want)
			}
		}

		// Through the store and the Manager.
		f := newFixture(t, b)
		m := f.manager(t, nil, session.Options{IdleTimeout: time.Hour, TouchInterval: 10 * time.Minute})
		for _, c := range []struct {
			name  string
			login bool
			want  []string
		}{
			{"anonymous", false, []string{"script"}},
			{"logged in", true, []string{"script", "script"}},
		} {
			cmds.take()
			r, s := testkit.Load(t, m, nil)
			if c.login {
				s.SetUser("user-1")
			}
			if err := s.Set("k", 1); err != nil {
				t.Fatal(err)
			}
			cookie := testkit.Save(t, m, r, s)
			if got := cmds.take(); !slices.Equal(got, c.want) {
				t.Errorf("new %s session: commands %v, want %v", c.name, got, c.want)
			}
			r, s = testkit.Load(t, m, cookie)
			if got := cmds.take(); !slices.Equal(got, []string{"hgetall"}) {
				t.Errorf("read of an %s session: commands %v, want [hgetall]", c.name, got)
			}
			if err := s.Set("k", 2); err != nil {
				t.Fatal(err)
			}
			testkit.Save(t, m, r, s)
			if got, want := cmds.take(), c.want; !slices.Equal(got, want) {
				t.Errorf("change of an %s session after its read: commands %v, want %v", c.name, got, want)
			}
		}
	})
}

// TestMalformedRecords: what is under a record's key but was not written
// by the backend is an error, never a panic, and the error names no key.
func TestMalformedRecords(t *testing.T) {
	tp := redistest.Single(t)
	c := tp.Client(t)
	p := names(tp.Prefix(t))
	b := backendAt(t, c, string(p))
	for _, m := range []struct {
		name  string
		write func(name string) error
	}{
		{"a string", func(name string) error { return c.Set(t.Context(), name, "x", 0).Err() }},
		{"no version", func(name string) error { return c.HSet(t.Context(), name, "d", "x").Err() }},
		{"a version that is no number", func(name string) error { return c.HSet(t.Context(), name, "d", "x", "v", "one").Err() }},
		{"no data", func(name string) error { return c.HSet(t.Context(), name, "v", "1").Err() }},
		{"a time that is no number", func(name string) error {
			return c.HSet(t.Context(), name, "d", "x", "v", "1", "x", "soon").Err()
		}},
	} {
		t.Run(m.name, func(t *testing.T) {
			key := newKey()
			if err := m.write(p.record(key)); err != nil {
				t.Fatal(err)
			}
			doc, err := b.Get(t.Context(), key)
			if err == nil || errors.Is(err, serverstore.ErrNotFound) || errors.Is(err, session.ErrStoreUnavailable) {
				t.Errorf("Get: %+v, %v; want an error", doc, err)
			} else if strings.Contains(err.Error(), hex.EncodeToString(key)) {
				t.Errorf("Get: error %q names the key", err)
			}
		})
	}
}

// TestRetriedWrites: an insert or update that finds its own write already
// done, as a command the client sent again after a lost answer does,
// reports success; another write at the same version does not.
func TestRetriedWrites(t *testing.T) {
	tp := redistest.Single(t)
	b := backendAt(t, tp.Client(t), tp.Prefix(t))
	now := time.Now().Truncate(time.Millisecond)
	doc := &serverstore.Document{Key: newKey(), Data: []byte("first"), User: newKey(), Version: 7, ExpiresAt: now.Add(time.Hour)}
	for i := range 2 {
		if err := b.Insert(t.Context(), doc); err != nil {
			t.Errorf("Insert %d of one document: %v", i+1, err)
		}
	}
	other := *doc
	other.Data = []byte("other")
	if err := b.Insert(t.Context(), &other); !errors.Is(err, serverstore.ErrExists) {
		t.Errorf("Insert of other data at the same version: %v, want ErrExists", err)
	}
	next := *doc
	next.Data, next.Version = []byte("second"), 8
	for i := range 2 {
		if ok, err := b.Update(t.Context(), &next, 7); !ok || err != nil {
			t.Errorf("Update %d of one document: %v, %v; want true", i+1, ok, err)
		}
	}
	other = next
	other.Data = []byte("other")
	if ok, err := b.Update(t.Context(), &other, 7); ok || err != nil {
		t.Errorf("Update of other data at the same versions: %v, %v; want false", ok, err)
	}
}
