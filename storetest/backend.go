package storetest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// RunBackend runs the conformance suite of serverstore.Backend, each check
// as a subtest with a backend from newBackend, which must be empty. A new
// backend proves itself by passing it and Run (over a serverstore.Store).
// The optional part of the contract, WatchStamps, is checked for backends
// that have it and skipped for the others.
func RunBackend(t *testing.T, newBackend func(t *testing.T) serverstore.Backend) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, b serverstore.Backend)
	}{
		{"GetInsert", testGetInsert},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"ConcurrentInserts", testConcurrentInserts},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentDeletes", testConcurrentDeletes},
		{"Users", testUsers},
		{"ScanCount", testScanCount},
		{"Stamps", testStamps},
		{"ConcurrentStamps", testConcurrentStamps},
		{"DeleteExpired", testDeleteExpired},
		{"WatchStamps", testWatchStamps},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newBackend(t)) })
	}
}

// t0 is the suite's time: whole milliseconds, which every database keeps,
// and far enough ahead that a TTL index deletes nothing during the tests.
var t0 = time.Date(2100, 12, 1, 12, 0, 0, 0, time.UTC)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// sample returns a document under key with every field set.
func sample(t *testing.T, key []byte, version int64) *serverstore.Document {
	return &serverstore.Document{Key: key, Data: bytes.Repeat([]byte{byte(version)}, 100), User: newKey(t),
		ExpiresAt: t0.Add(time.Hour), Version: version, Created: t0.Add(-time.Minute), Updated: t0,
		From: t0.Add(-2 * time.Minute), UserAgent: "Mozilla/5.0", IP: "192.0.2.1"}
}

// checkDoc compares got with want, field by field.
func checkDoc(t *testing.T, what string, got, want *serverstore.Document) {
	t.Helper()
	if !bytes.Equal(got.Key, want.Key) || !bytes.Equal(got.Data, want.Data) || !bytes.Equal(got.User, want.User) ||
		!got.ExpiresAt.Equal(want.ExpiresAt) || got.Version != want.Version || !got.Created.Equal(want.Created) ||
		!got.Updated.Equal(want.Updated) || !got.From.Equal(want.From) || got.UserAgent != want.UserAgent || got.IP != want.IP {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func get(t *testing.T, b serverstore.Backend, key []byte) *serverstore.Document {
	t.Helper()
	doc, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return doc
}

func insert(t *testing.T, b serverstore.Backend, doc *serverstore.Document) {
	t.Helper()
	if err := b.Insert(t.Context(), doc); err != nil {
		t.Fatalf("Insert: %v", err)
	}
}

func testGetInsert(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	if _, err := b.Get(t.Context(), key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("Get of a missing key: got %v, want ErrNotFound", err)
	}
	want := sample(t, key, 7)
	insert(t, b, want)
	got := get(t, b, key)
	checkDoc(t, "Get after Insert", got, want)
	// What Get returns is the engine's to modify.
	got.Data[0] ^= 0xff
	checkDoc(t, "Get after the last Get's data changed", get(t, b, key), want)
	if err := b.Insert(t.Context(), sample(t, key, 8)); !errors.Is(err, serverstore.ErrExists) {
		t.Errorf("second Insert of a key: got %v, want ErrExists", err)
	}
	checkDoc(t, "Get after a refused Insert", get(t, b, key), want)
	bare := &serverstore.Document{Key: newKey(t), Data: []byte{1}, ExpiresAt: t0, Version: 1, Updated: t0}
	insert(t, b, bare)
	checkDoc(t, "a document without user, creation, origin or client", get(t, b, bare.Key), bare)
}

func testUpdate(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	old := sample(t, key, 5)
	insert(t, b, old)
	next := &serverstore.Document{Key: key, Data: []byte("next"), ExpiresAt: t0.Add(2 * time.Hour), Version: 6,
		Created: t0.Add(time.Hour), Updated: t0.Add(time.Minute), From: t0.Add(time.Hour), UserAgent: "curl", IP: "::1"}
	if ok, err := b.Update(t.Context(), next, 4); ok || err != nil {
		t.Errorf("Update at a stale version: %v, %v; want false", ok, err)
	}
	checkDoc(t, "after an Update at a stale version", get(t, b, key), old)
	if ok, err := b.Update(t.Context(), next, 5); !ok || err != nil {
		t.Fatalf("Update at the stored version: %v, %v; want true", ok, err)
	}
	want := *next
	want.Created, want.From = old.Created, old.From
	want.User, want.UserAgent, want.IP = old.User, old.UserAgent, old.IP
	checkDoc(t, "after an Update (Created, From, the user and the device kept)", get(t, b, key), &want)

	// Times never move back.
	back := *next
	back.Data, back.Version, back.ExpiresAt, back.Updated = []byte("back"), 7, t0, t0
	if ok, err := b.Update(t.Context(), &back, 6); !ok || err != nil {
		t.Fatalf("Update with earlier times: %v, %v; want true", ok, err)
	}
	want.Data, want.Version = back.Data, back.Version
	checkDoc(t, "after an Update with earlier times (ExpiresAt and Updated kept)", get(t, b, key), &want)

	// A changed user is written with its device; no user clears them.
	login := *next
	login.Data, login.Version, login.User, login.UserChanged = []byte("login"), 8, newKey(t), true
	if ok, err := b.Update(t.Context(), &login, 7); !ok || err != nil {
		t.Fatalf("Update with a changed user: %v, %v; want true", ok, err)
	}
	want.Data, want.Version, want.User, want.UserAgent, want.IP = login.Data, login.Version, login.User, login.UserAgent, login.IP
	checkDoc(t, "after an Update with a changed user", get(t, b, key), &want)
	if docs, err := b.ListUser(t.Context(), login.User); err != nil || len(docs) != 1 {
		t.Errorf("ListUser of the new user: %d documents, %v; want 1", len(docs), err)
	}
	if docs, err := b.ListUser(t.Context(), old.User); err != nil || len(docs) != 0 {
		t.Errorf("ListUser of the old user: %d documents, %v; want none", len(docs), err)
	}
	logout := serverstore.Document{Key: key, Data: []byte("logout"), Version: 9, UserChanged: true}
	if ok, err := b.Update(t.Context(), &logout, 8); !ok || err != nil {
		t.Fatalf("Update without a user: %v, %v; want true", ok, err)
	}
	want.Data, want.Version, want.User, want.UserAgent, want.IP = logout.Data, logout.Version, nil, "", ""
	checkDoc(t, "after an Update that clears the user", get(t, b, key), &want)

	missing := sample(t, newKey(t), 2)
	if ok, err := b.Update(t.Context(), missing, 1); ok || err != nil {
		t.Errorf("Update of a missing key: %v, %v; want false", ok, err)
	}
	if _, err := b.Get(t.Context(), missing.Key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("Get after an Update of a missing key: got %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	insert(t, b, sample(t, key, 5))
	if ok, err := b.Delete(t.Context(), key, 4); ok || err != nil {
		t.Errorf("Delete at a stale version: %v, %v; want false", ok, err)
	}
	get(t, b, key)
	if ok, err := b.Delete(t.Context(), key, 5); !ok || err != nil {
		t.Errorf("Delete at the stored version: %v, %v; want true", ok, err)
	}
	if _, err := b.Get(t.Context(), key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if ok, err := b.Delete(t.Context(), key, 0); ok || err != nil {
		t.Errorf("Delete of a missing key: %v, %v; want false", ok, err)
	}
	insert(t, b, sample(t, key, 9))
	if ok, err := b.Delete(t.Context(), key, 0); !ok || err != nil {
		t.Errorf("Delete at version 0: %v, %v; want true whatever the version", ok, err)
	}
}

// run runs n goroutines of fn and reports their errors.
func run(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := fn(i); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testConcurrentInserts(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	var won atomic.Int32
	run(t, 16, func(i int) error {
		err := b.Insert(t.Context(), sample(t, key, int64(i+1)))
		switch {
		case err == nil:
			won.Add(1)
		case !errors.Is(err, serverstore.ErrExists):
			return err
		}
		return nil
	})
	if n := won.Load(); n != 1 {
		t.Errorf("%d of 16 concurrent Inserts of one key succeeded, want 1", n)
	}
}

// testConcurrentUpdates has goroutines read a document and update it at
// the version they read, as concurrent saves do: every update acknowledged
// must have moved the version on by one, or one overwrote another.
func testConcurrentUpdates(t *testing.T, b serverstore.Backend) {
	const writers, rounds = 8, 20
	key := newKey(t)
	insert(t, b, sample(t, key, 1))
	var acked atomic.Int64
	run(t, writers, func(i int) error {
		for range rounds {
			doc, err := b.Get(t.Context(), key)
			if err != nil {
				return err
			}
			v := doc.Version
			doc.Version, doc.Data = v+1, []byte(fmt.Sprintf("writer %d", i))
			ok, err := b.Update(t.Context(), doc, v)
			if err != nil {
				return err
			}
			if ok {
				acked.Add(1)
			}
		}
		return nil
	})
	if got := get(t, b, key).Version - 1; got != acked.Load() || got == 0 {
		t.Errorf("%d updates acknowledged, the version moved %d: conditional updates are not atomic", acked.Load(), got)
	}
}

func testConcurrentDeletes(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	insert(t, b, sample(t, key, 3))
	var won atomic.Int32
	run(t, 16, func(int) error {
		ok, err := b.Delete(t.Context(), key, 3)
		if ok {
			won.Add(1)
		}
		return err
	})
	if n := won.Load(); n != 1 {
		t.Errorf("%d of 16 concurrent Deletes at one version succeeded, want 1", n)
	}
}

func testUsers(t *testing.T, b serverstore.Backend) {
	alice, bob := newKey(t), newKey(t)
	var aliceKeys [][]byte
	for i, user := range [][]byte{alice, alice, bob, nil} {
		doc := sample(t, newKey(t), int64(i+1))
		doc.User = user
		insert(t, b, doc)
		if bytes.Equal(user, alice) {
			aliceKeys = append(aliceKeys, doc.Key)
		}
	}
	docs, err := b.ListUser(t.Context(), alice)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, d := range docs {
		if !bytes.Equal(d.User, alice) || d.UserAgent != "Mozilla/5.0" || !d.Updated.Equal(t0) || len(d.Data) != 100 {
			t.Errorf("ListUser(alice) returned %+v", d)
		}
		got = append(got, d.Key)
	}
	slices.SortFunc(got, bytes.Compare)
	slices.SortFunc(aliceKeys, bytes.Compare)
	if !slices.EqualFunc(got, aliceKeys, bytes.Equal) {
		t.Errorf("ListUser(alice): keys %x, want %x", got, aliceKeys)
	}
	if n, err := b.DeleteUser(t.Context(), alice); n != 2 || err != nil {
		t.Errorf("DeleteUser(alice): %d, %v; want 2", n, err)
	}
	if docs, err := b.ListUser(t.Context(), alice); len(docs) != 0 || err != nil {
		t.Errorf("ListUser(alice) after DeleteUser: %d, %v; want none", len(docs), err)
	}
	if docs, err := b.ListUser(t.Context(), bob); len(docs) != 1 || err != nil {
		t.Errorf("ListUser(bob) after alice's DeleteUser: %d, %v; want 1", len(docs), err)
	}
}

func testScanCount(t *testing.T, b serverstore.Backend) {
	var keys [][]byte
	for i := range 7 {
		doc := sample(t, newKey(t), int64(i+1))
		insert(t, b, doc)
		keys = append(keys, doc.Key)
	}
	if _, err := b.RaiseStamp(t.Context(), newKey(t), &serverstore.Stamp{NotBefore: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Count(t.Context()); n != 7 || err != nil {
		t.Errorf("Count: %d, %v; want the 7 documents", n, err)
	}
	slices.SortFunc(keys, bytes.Compare)
	var got [][]byte
	var after []byte
	for range 10 {
		page, err := b.Scan(t.Context(), after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			if len(d.Data) == 0 {
				t.Errorf("Scan returned a document without data: %+v", d)
			}
			got = append(got, d.Key)
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].Key
	}
	if !slices.EqualFunc(got, keys, bytes.Equal) {
		t.Errorf("Scan in pages of 3: keys\n%x\nwant, in order,\n%x", got, keys)
	}
}

func raise(t *testing.T, b serverstore.Backend, key []byte, st *serverstore.Stamp) *serverstore.Stamp {
	t.Helper()
	got, err := b.RaiseStamp(t.Context(), key, st)
	if err != nil {
		t.Fatalf("RaiseStamp: %v", err)
	}
	return got
}

func checkStamp(t *testing.T, what string, got, want *serverstore.Stamp) {
	t.Helper()
	if !got.NotBefore.Equal(want.NotBefore) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!maps.EqualFunc(got.Ended, want.Ended, time.Time.Equal) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testStamps(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	if _, err := b.GetStamp(t.Context(), key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("GetStamp of a missing key: got %v, want ErrNotFound", err)
	}
	want := &serverstore.Stamp{NotBefore: t0, ExpiresAt: t0.Add(time.Hour)}
	checkStamp(t, "first RaiseStamp", raise(t, b, key, want), want)
	// Earlier times, from a server whose clock is behind, change nothing.
	checkStamp(t, "RaiseStamp with earlier times", raise(t, b, key,
		&serverstore.Stamp{NotBefore: t0.Add(-time.Minute), ExpiresAt: t0}), want)
	want.Ended = map[string]time.Time{"h1": t0.Add(2 * time.Hour)}
	want.ExpiresAt = t0.Add(2 * time.Hour)
	checkStamp(t, "an ended session", raise(t, b, key,
		&serverstore.Stamp{Ended: map[string]time.Time{"h1": t0.Add(2 * time.Hour)}, ExpiresAt: t0.Add(2 * time.Hour)}), want)
	want.Ended["h2"] = t0.Add(time.Minute)
	checkStamp(t, "a second ended session, and the first again earlier", raise(t, b, key,
		&serverstore.Stamp{Ended: map[string]time.Time{"h1": t0, "h2": t0.Add(time.Minute)}}), want)
	got, err := b.GetStamp(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	checkStamp(t, "GetStamp", got, want)
	if err := b.DropEnded(t.Context(), key, []string{"h1", "h3"}); err != nil {
		t.Fatal(err)
	}
	delete(want.Ended, "h1")
	if got, err = b.GetStamp(t.Context(), key); err != nil {
		t.Fatal(err)
	}
	checkStamp(t, "after DropEnded", got, want)
	if err := b.DropEnded(t.Context(), newKey(t), []string{"h1"}); err != nil {
		t.Errorf("DropEnded of a missing stamp: %v", err)
	}
	if _, err := b.Get(t.Context(), key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("Get of a stamp's key: got %v, want ErrNotFound: a stamp is no session", err)
	}
}

// testConcurrentStamps ends sessions of one user at once: every entry
// must stay.
func testConcurrentStamps(t *testing.T, b serverstore.Backend) {
	key := newKey(t)
	const n = 16
	run(t, n, func(i int) error {
		_, err := b.RaiseStamp(t.Context(), key, &serverstore.Stamp{ExpiresAt: t0.Add(time.Duration(i) * time.Minute),
			Ended: map[string]time.Time{fmt.Sprintf("h%02d", i): t0}})
		return err
	})
	got, err := b.GetStamp(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Ended) != n || !got.ExpiresAt.Equal(t0.Add((n-1)*time.Minute)) {
		t.Errorf("after %d concurrent RaiseStamps: %d entries, expiry %v; want %d and %v", n, len(got.Ended), got.ExpiresAt, n, t0.Add((n-1)*time.Minute))
	}
}

func testDeleteExpired(t *testing.T, b serverstore.Backend) {
	var live [][]byte
	for i, exp := range []time.Time{t0.Add(-time.Second), t0, t0.Add(time.Second)} {
		doc := sample(t, newKey(t), int64(i+1))
		doc.ExpiresAt = exp
		insert(t, b, doc)
		if exp.After(t0) {
			live = append(live, doc.Key)
		}
	}
	oldStamp, newStamp := newKey(t), newKey(t)
	raise(t, b, oldStamp, &serverstore.Stamp{NotBefore: t0, ExpiresAt: t0})
	raise(t, b, newStamp, &serverstore.Stamp{NotBefore: t0, ExpiresAt: t0.Add(time.Second)})
	if n, err := b.DeleteExpired(t.Context(), t0); n != 3 || err != nil {
		t.Errorf("DeleteExpired: %d, %v; want two documents and a stamp", n, err)
	}
	if n, err := b.Count(t.Context()); n != 1 || err != nil {
		t.Errorf("Count after DeleteExpired: %d, %v; want 1", n, err)
	}
	get(t, b, live[0])
	if _, err := b.GetStamp(t.Context(), oldStamp); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("expired stamp: got %v, want ErrNotFound", err)
	}
	if _, err := b.GetStamp(t.Context(), newStamp); err != nil {
		t.Errorf("live stamp: %v", err)
	}
}
