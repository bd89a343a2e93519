package payload

import (
	"slices"
	"testing"
)

const (
	hour     = 3600
	t0       = 1_800_000_000 // the base copy's creation
	idle     = 24 * hour
	lifetime = 7 * 24 * hour
)

// keys returns d's keys and which of them are marked Dirty.
func keys(d *Data) (all, dirty []string) {
	for _, e := range d.Entries {
		all = append(all, e.Key)
		if e.Dirty {
			dirty = append(dirty, e.Key)
		}
	}
	return all, dirty
}

// baseCopy is the session as both requests loaded it.
func baseCopy() Data {
	return Data{ID: "q2D9vJm1c0bWw3nY8fR4sA", Created: t0, Issued: t0, IdleExpires: t0 + idle, Expires: t0 + lifetime,
		Entries: []Entry{{Key: "a", Value: []byte(`1`)}, {Key: "gone", Value: []byte(`1`)}}}
}

// TestMerge checks what a session keeps of its own and takes from a newer
// copy when a server store merges concurrent saves: its own changed values
// and metadata, and the other copy's for the rest, including the restarted
// lifetime of a login made by the other request.
func TestMerge(t *testing.T) {
	// The other request logs ada in an hour later and sets b.
	login := int64(t0 + hour)
	latest := baseCopy()
	latest.User, latest.Created, latest.Issued = "ada", login, login
	latest.IdleExpires, latest.Expires = login+idle, login+lifetime
	latest.Entries = slices.Insert(latest.Entries, 1, Entry{Key: "b", Value: []byte(`2`)})

	s := baseCopy()
	s.Entries = append(s.Entries, Entry{Key: "c", Value: []byte(`3`), Dirty: true})
	s.Entries = slices.Delete(s.Entries, 1, 2) // gone
	Merge(&s, &latest, Changes{Set: []string{"c"}, Deleted: []string{"gone"}})
	all, dirty := keys(&s)
	if want := []string{"a", "b", "c"}; !slices.Equal(all, want) {
		t.Errorf("keys: got %q, want %q", all, want)
	}
	if !slices.Equal(dirty, []string{"c"}) {
		t.Errorf("dirty keys: got %q, want [c]", dirty)
	}
	if s.User != "ada" || s.Created != login || s.Expires != login+lifetime || s.ID != "q2D9vJm1c0bWw3nY8fR4sA" {
		t.Errorf("after Merge: user %q created %d expires %d ID %q; want ada, %d (the login), %d, the ID kept",
			s.User, s.Created, s.Expires, s.ID, login, login+lifetime)
	}
	if i, ok := latest.Find("b"); !ok || latest.Entries[i].Dirty || len(latest.Entries) != 3 {
		t.Errorf("Merge changed the latest copy: %+v", latest.Entries)
	}

	// A request that changed the user itself keeps its own.
	own := baseCopy()
	own.User = "bob"
	Merge(&own, &latest, Changes{User: true})
	if own.User != "bob" || own.Created != t0 {
		t.Errorf("own login: user %q created %d; want bob, %d", own.User, own.Created, int64(t0))
	}
}

// TestMergeMovesIdleCap: a save near the end of the session's lifetime
// has its idle deadline capped by that end; when it merges with a login
// made meanwhile, which moved the end, the idle deadline follows.
func TestMergeMovesIdleCap(t *testing.T) {
	const shortIdle, shortLifetime = hour, 2 * hour
	base := Data{ID: "q2D9vJm1c0bWw3nY8fR4sA", Created: t0, Issued: t0, IdleExpires: t0 + shortIdle, Expires: t0 + shortLifetime}
	now := int64(t0 + 110*60) // 10 minutes before the end of the lifetime

	login := base
	login.User, login.Created, login.Issued = "ada", now, now
	login.Expires = now + shortLifetime
	login.IdleExpires = min(now+shortIdle, login.Expires)

	plain := base
	plain.Entries = []Entry{{Key: "c", Value: []byte(`3`), Dirty: true}}
	plain.Issued = now
	plain.IdleExpires = min(now+shortIdle, plain.Expires)
	Merge(&plain, &login, Changes{Set: []string{"c"}})
	if want := now + shortIdle; plain.IdleExpires != want {
		t.Errorf("after Merge onto the login: idle deadline %d, want %d (the idle timeout)", plain.IdleExpires, want)
	}
	if plain.Expires != login.Expires {
		t.Errorf("after Merge onto the login: deadline %d, want the login's %d", plain.Expires, login.Expires)
	}
}

// TestMergeOwnTimeouts: a request that set the session's own timeouts
// keeps them, and the length of its lifetime from a login the other
// request made; a request that did not takes the other's.
func TestMergeOwnTimeouts(t *testing.T) {
	login := int64(t0 + hour)
	latest := baseCopy()
	latest.User, latest.Created, latest.Issued = "ada", login, login
	latest.IdleExpires, latest.Expires = login+idle, login+lifetime

	const ownLifetime = 30 * 24 * hour
	remember := baseCopy()
	remember.IdleTimeout, remember.Lifetime = 2*idle, ownLifetime
	remember.Expires = t0 + ownLifetime
	Merge(&remember, &latest, Changes{Lifetime: true})
	if remember.IdleTimeout != 2*idle || remember.Lifetime != ownLifetime || remember.Expires != login+ownLifetime {
		t.Errorf("own timeouts after Merge: idle %d lifetime %d deadline %d; want %d, %d, %d (from the login)",
			remember.IdleTimeout, remember.Lifetime, remember.Expires, 2*idle, ownLifetime, login+ownLifetime)
	}

	other := latest
	other.IdleTimeout, other.Lifetime = idle, ownLifetime
	plain := baseCopy()
	Merge(&plain, &other, Changes{})
	if plain.IdleTimeout != idle || plain.Lifetime != ownLifetime || plain.Expires != other.Expires {
		t.Errorf("after Merge onto timeouts set elsewhere: idle %d lifetime %d deadline %d; want the other's %d, %d, %d",
			plain.IdleTimeout, plain.Lifetime, plain.Expires, int64(idle), int64(ownLifetime), other.Expires)
	}
}
