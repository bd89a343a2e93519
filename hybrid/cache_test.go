package hybrid

import (
	"fmt"
	"testing"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// TestStampCacheEvictsOldest: a full cache evicts the stamp used longest
// ago, one at a time, rather than starting over, which would send every
// user's next check to the database at once.
func TestStampCacheEvictsOldest(t *testing.T) {
	const n = 1000
	c := newStampCache(n)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range n {
		c.put(fmt.Sprint(i), &serverstore.Stamp{NotBefore: t0}, t0)
	}
	if _, ok := c.get("0", t0.Add(-time.Second)); !ok {
		t.Fatal("user 0 not cached")
	}
	c.put("new", &serverstore.Stamp{}, t0)
	if _, ok := c.get("1", t0.Add(-time.Second)); ok {
		t.Error("user 1, used longest ago, is still cached after the cache overflowed")
	}
	for _, user := range []string{"0", "2", fmt.Sprint(n - 1), "new"} {
		if _, ok := c.get(user, t0.Add(-time.Second)); !ok {
			t.Errorf("user %s evicted, want only the oldest gone", user)
		}
	}
	if _, ok := c.get("0", t0); ok {
		t.Error("a stamp read at the cut-off time counts as fresh")
	}
	c.forget("0")
	if _, ok := c.get("0", t0.Add(-time.Second)); ok {
		t.Error("forget left the stamp cached")
	}
}
