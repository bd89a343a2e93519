package mongostore_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/serverstore"
)

// TestDocumentsAsWrittenBefore reads a session and a stamp document in the
// shape that earlier releases wrote, with binary keys, field for field,
// through a backend started on the collection that holds them; it updates
// the session, lists it, and merges the old stamp into a raised one. A
// document written now has the same fields, its keys in hex.
func TestDocumentsAsWrittenBefore(t *testing.T) {
	coll := mongotest.DB(t).Collection("sessions")
	t0 := time.Date(2100, 11, 25, 12, 0, 0, 0, time.UTC) // ahead of any TTL deletion
	key, user, stampKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)
	old := bson.D{
		{Key: "_id", Value: key}, {Key: "data", Value: []byte("sealed")}, {Key: "user", Value: user},
		{Key: "expiresAt", Value: t0.Add(time.Hour)}, {Key: "version", Value: int64(42)},
		{Key: "created", Value: t0.Add(-time.Hour)}, {Key: "updated", Value: t0},
		{Key: "device", Value: bson.D{{Key: "userAgent", Value: "Mozilla/5.0"}, {Key: "ip", Value: "192.0.2.1"}}},
		{Key: "from", Value: t0.Add(-time.Minute)},
	}
	oldStamp := bson.D{
		{Key: "_id", Value: stampKey}, {Key: "notBefore", Value: t0},
		{Key: "ended", Value: bson.D{{Key: "handle", Value: t0.Add(time.Hour)}}}, {Key: "expiresAt", Value: t0.Add(time.Hour)},
	}
	if _, err := coll.InsertMany(ctx, []any{old, oldStamp}); err != nil {
		t.Fatal(err)
	}
	b := newBackend(t, coll)
	doc, err := b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := serverstore.Document{Key: key, Data: []byte("sealed"), User: user, ExpiresAt: t0.Add(time.Hour), Version: 42,
		Created: t0.Add(-time.Hour), Updated: t0, From: t0.Add(-time.Minute), UserAgent: "Mozilla/5.0", IP: "192.0.2.1"}
	checkDoc(t, "Get of a document as written before", doc, &want)
	if docs, err := b.ListUser(ctx, user); err != nil || len(docs) != 1 {
		t.Errorf("ListUser of the old document's user: %d documents, %v; want 1", len(docs), err)
	}
	next := want
	next.Data, next.Version = []byte("resealed"), 43
	if ok, err := b.Update(ctx, &next, 42); !ok || err != nil {
		t.Fatalf("Update of a document as written before: %v, %v", ok, err)
	}
	if doc, err := b.Get(ctx, key); err != nil || !bytes.Equal(doc.Data, next.Data) {
		t.Errorf("Get after the Update: %+v, %v", doc, err)
	}
	st, err := b.GetStamp(ctx, stampKey)
	if err != nil {
		t.Fatal(err)
	}
	if !st.NotBefore.Equal(t0) || !st.ExpiresAt.Equal(t0.Add(time.Hour)) || len(st.Ended) != 1 || !st.Ended["handle"].Equal(t0.Add(time.Hour)) {
		t.Errorf("GetStamp of a stamp as written before: %+v", st)
	}
	// A raise writes a stamp under the hex key; the old one still counts.
	st, err = b.RaiseStamp(ctx, stampKey, &serverstore.Stamp{Ended: map[string]time.Time{"other": t0}, ExpiresAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*serverstore.Stamp{st, must(b.GetStamp(ctx, stampKey))(t)} {
		if !st.NotBefore.Equal(t0) || !st.ExpiresAt.Equal(t0.Add(time.Hour)) || len(st.Ended) != 2 {
			t.Errorf("stamp raised over one as written before: %+v; want the old notBefore, expiry and entry kept", st)
		}
	}

	// Written now: the same fields, in the same order, the keys in hex.
	want.Key = bytes.Repeat([]byte{4}, 32)
	if err := b.Insert(ctx, &want); err != nil {
		t.Fatal(err)
	}
	var raw bson.Raw
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: hex.EncodeToString(want.Key)}}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if got, wantFields := fields(t, raw), fields(t, mustMarshal(t, old)); !slices.Equal(got, wantFields) {
		t.Errorf("fields of a document written now: %v, want %v", got, wantFields)
	}
	if got := raw.Lookup("user").StringValue(); got != hex.EncodeToString(user) {
		t.Errorf("user of a document written now: %q, want hex", got)
	}
	if got := fields(t, raw.Lookup("device").Document()); !slices.Equal(got, []string{"userAgent", "ip"}) {
		t.Errorf("fields of device: %v, want [userAgent ip]", got)
	}
}

// TestBinaryKeysLookedUpOnlyWhenPresent: a backend started on a collection
// without binary keys looks keys up in hex alone: a document with a binary
// key written after New is not found.
func TestBinaryKeysLookedUpOnlyWhenPresent(t *testing.T) {
	coll := mongotest.DB(t).Collection("sessions")
	b := newBackend(t, coll)
	key := bytes.Repeat([]byte{6}, 32)
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "data", Value: []byte("sealed")},
		{Key: "version", Value: int64(1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("Get of a binary key written after New: %v, want ErrNotFound", err)
	}
	if _, err := b.GetStamp(ctx, key); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("GetStamp of a binary key written after New: %v, want ErrNotFound", err)
	}
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
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

func fields(t *testing.T, raw bson.Raw) []string {
	t.Helper()
	elems, err := raw.Elements()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range elems {
		names = append(names, e.Key())
	}
	return names
}

func mustMarshal(t *testing.T, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStampStaysSmall: a stamp whose ended sessions are dropped, as the
// store does when a user ends more than it names, is back to a few fields.
func TestStampStaysSmall(t *testing.T) {
	coll := mongotest.DB(t).Collection("sessions")
	b := newBackend(t, coll)
	key := bytes.Repeat([]byte{5}, 32)
	t0 := time.Date(2100, 11, 25, 12, 0, 0, 0, time.UTC) // ahead of any TTL deletion
	ended := map[string]time.Time{}
	for i := range 101 {
		ended[strings.Repeat("h", 10)+string(rune('A'+i%26))+string(rune('a'+i/26))] = t0.Add(time.Hour)
	}
	st, err := b.RaiseStamp(ctx, key, &serverstore.Stamp{Ended: ended, ExpiresAt: t0.Add(time.Hour)})
	if err != nil || len(st.Ended) != 101 {
		t.Fatalf("RaiseStamp: %d entries, %v", len(st.Ended), err)
	}
	if _, err := b.RaiseStamp(ctx, key, &serverstore.Stamp{NotBefore: t0, ExpiresAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if err := b.DropEnded(ctx, key, slices.Collect(maps.Keys(ended))); err != nil {
		t.Fatal(err)
	}
	var raw bson.Raw
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: hex.EncodeToString(key)}}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) > 200 {
		t.Errorf("stamp of %d bytes, want it small", len(raw))
	}
}
