package memstore_test

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

func TestBackend(t *testing.T) {
	storetest.RunBackend(t, func(t *testing.T) serverstore.Backend { return memstore.New(memstore.Options{}) })
}

func key() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// TestFullBackendEvictsFirstToExpire: a full backend makes room for a new
// record by evicting the one that expires first, and never a stamp.
func TestFullBackendEvictsFirstToExpire(t *testing.T) {
	b := memstore.New(memstore.Options{MaxRecords: 3})
	t0 := time.Unix(1_800_000_000, 0)
	keys := make([][]byte, 4)
	for i, exp := range []time.Duration{3, 1, 2, 4} {
		keys[i] = key()
		err := b.Insert(t.Context(), &serverstore.Document{Key: keys[i], Data: []byte{1}, Version: 1, ExpiresAt: t0.Add(exp * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	stamp := key()
	if _, err := b.RaiseStamp(t.Context(), stamp, &serverstore.Stamp{NotBefore: t0, ExpiresAt: t0}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Count(t.Context()); n != 3 || err != nil {
		t.Errorf("Count of a full backend: %d, %v; want 3", n, err)
	}
	if _, err := b.Get(t.Context(), keys[1]); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("the record that expires first: got %v, want it evicted", err)
	}
	for _, i := range []int{0, 2, 3} {
		if _, err := b.Get(t.Context(), keys[i]); err != nil {
			t.Errorf("record %d: %v, want it kept", i, err)
		}
	}
	// An update that moves a record's expiry moves its place in line.
	doc, err := b.Get(t.Context(), keys[2])
	if err != nil {
		t.Fatal(err)
	}
	doc.ExpiresAt, doc.Version = t0.Add(5*time.Hour), 2
	if ok, err := b.Update(t.Context(), doc, 1); !ok || err != nil {
		t.Fatalf("Update: %v, %v", ok, err)
	}
	if err := b.Insert(t.Context(), &serverstore.Document{Key: key(), Data: []byte{1}, Version: 1, ExpiresAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(t.Context(), keys[0]); !errors.Is(err, serverstore.ErrNotFound) {
		t.Errorf("after the update, the record that expires first: got %v, want it evicted", err)
	}
	if _, err := b.GetStamp(t.Context(), stamp); err != nil {
		t.Errorf("stamp of a full backend: %v, want it kept", err)
	}
}

func TestNegativeMaxRecordsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with MaxRecords -1 did not panic")
		}
	}()
	memstore.New(memstore.Options{MaxRecords: -1})
}
