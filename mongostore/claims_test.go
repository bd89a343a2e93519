package mongostore

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/serverstore"
)

// TestLeftClaims: a claim blocks the write it names while another backend
// may be using it, and is taken over when this backend left it (its delete
// failed) or when it is older than claimTimeout.
func TestLeftClaims(t *testing.T) {
	ctx := context.Background()
	sb, err := New(ctx, mongotest.DB(t).Collection("sessions"))
	if err != nil {
		t.Fatal(err)
	}
	b := sb.(*backend)
	if !b.claims {
		t.Skip("the server applies conditional writes atomically; claims are for FerretDB")
	}
	key := bytes.Repeat([]byte{7}, 32)
	t0 := time.Date(2100, 11, 25, 12, 0, 0, 0, time.UTC) // ahead of any TTL deletion
	doc := &serverstore.Document{Key: key, Data: []byte("v1"), ExpiresAt: t0, Version: 1, Updated: t0}
	if err := b.Insert(ctx, doc); err != nil {
		t.Fatal(err)
	}
	version := int64(1)
	for _, c := range []struct {
		name  string
		held  claim
		wrote bool
	}{
		{"another backend's, fresh", claim{At: time.Now(), Owner: "other"}, false},
		{"another backend's, abandoned", claim{At: time.Now().Add(-claimTimeout - time.Second), Owner: "other"}, true},
		{"this backend's", claim{At: time.Now(), Owner: b.owner}, true},
	} {
		from := version
		c.held.ID = claimID(key, from)
		if _, err := b.claimColl.InsertOne(ctx, c.held); err != nil {
			t.Fatal(err)
		}
		next := *doc
		next.Version = from + 1
		ok, err := b.Update(ctx, &next, from)
		if err != nil || ok != c.wrote {
			t.Errorf("%s: Update %v, %v; want %v", c.name, ok, err, c.wrote)
		}
		if c.wrote {
			version++
			continue
		}
		if _, err := b.claimColl.DeleteOne(ctx, byKey(c.held.ID)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestClaimsInTheirOwnDatabase: claims go to the records' database name
// with "_claims" appended, unless that name would be too long.
func TestClaimsInTheirOwnDatabase(t *testing.T) {
	coll := mongotest.DB(t).Collection("sessions")
	got := claimCollection(coll)
	if want := coll.Database().Name() + "_claims"; got.Database().Name() != want || got.Name() != "sessions" {
		t.Errorf("claims in %s.%s, want %s.sessions", got.Database().Name(), got.Name(), want)
	}
	long := coll.Database().Client().Database(strings.Repeat("d", maxDatabaseName-6)).Collection("sessions")
	if got := claimCollection(long); got != long {
		t.Errorf("claims of a %d-byte database name in %s.%s, want beside the records", len(long.Database().Name()), got.Database().Name(), got.Name())
	}
}
