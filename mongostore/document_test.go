package mongostore_test

import (
	"bytes"
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
// shape that earlier releases wrote, field for field, and checks that a
// document written now has that shape.
func TestDocumentsAsWrittenBefore(t *testing.T) {
	coll := mongotest.DB(t).Collection("sessions")
	b := newBackend(t, coll)
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
	doc, err := b.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	want := serverstore.Document{Key: key, Data: []byte("sealed"), User: user, ExpiresAt: t0.Add(time.Hour), Version: 42,
		Created: t0.Add(-time.Hour), Updated: t0, From: t0.Add(-time.Minute), UserAgent: "Mozilla/5.0", IP: "192.0.2.1"}
	if !bytes.Equal(doc.Key, want.Key) || !bytes.Equal(doc.Data, want.Data) || !bytes.Equal(doc.User, want.User) ||
		!doc.ExpiresAt.Equal(want.ExpiresAt) || doc.Version != want.Version || !doc.Created.Equal(want.Created) ||
		!doc.Updated.Equal(want.Updated) || !doc.From.Equal(want.From) || doc.UserAgent != want.UserAgent || doc.IP != want.IP {
		t.Errorf("Get of a document as written before:\n got %+v\nwant %+v", doc, want)
	}
	st, err := b.GetStamp(ctx, stampKey)
	if err != nil {
		t.Fatal(err)
	}
	if !st.NotBefore.Equal(t0) || !st.ExpiresAt.Equal(t0.Add(time.Hour)) || len(st.Ended) != 1 || !st.Ended["handle"].Equal(t0.Add(time.Hour)) {
		t.Errorf("GetStamp of a stamp as written before: %+v", st)
	}

	// Written now: the same fields, in the same order.
	want.Key = bytes.Repeat([]byte{4}, 32)
	if err := b.Insert(ctx, &want); err != nil {
		t.Fatal(err)
	}
	var raw bson.Raw
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: want.Key}}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if got, wantFields := fields(t, raw), fields(t, mustMarshal(t, old)); !slices.Equal(got, wantFields) {
		t.Errorf("fields of a document written now: %v, want %v", got, wantFields)
	}
	if got := fields(t, raw.Lookup("device").Document()); !slices.Equal(got, []string{"userAgent", "ip"}) {
		t.Errorf("fields of device: %v, want [userAgent ip]", got)
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
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) > 200 {
		t.Errorf("stamp of %d bytes, want it small", len(raw))
	}
}
