package payload

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
)

// NewID returns a fresh session ID: 128 random bits in base64url.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Changes says what one request changed in a session since it was loaded.
// It has the fields of session.Changes, which converts to it.
type Changes struct {
	Set, Deleted                                   []string
	User, Revocable, Persistent, Flashes, Lifetime bool
}

// Merge re-applies onto latest, a newer copy of mine's session that a
// concurrent request saved, what mine's request changed, and leaves the
// result in mine: latest's values with mine's set keys and deletions, and
// latest's metadata except what mine changed. mine keeps its ID and issue
// time. Set keys keep their Dirty mark.
func Merge(mine, latest *Data, ch Changes) {
	entries := slices.Clone(latest.Entries)
	for i := range entries {
		entries[i].Dirty = false
	}
	for _, k := range ch.Set {
		j, ok := slices.BinarySearchFunc(mine.Entries, k, compareKey)
		if !ok {
			continue
		}
		e := mine.Entries[j]
		e.Dirty = true
		if i, ok := slices.BinarySearchFunc(entries, k, compareKey); ok {
			entries[i] = e
		} else {
			entries = slices.Insert(entries, i, e)
		}
	}
	for _, k := range ch.Deleted {
		if i, ok := slices.BinarySearchFunc(entries, k, compareKey); ok {
			entries = slices.Delete(entries, i, i+1)
		}
	}
	mine.Entries = entries
	if !ch.User {
		// A login in the other request restarted the lifetime with it,
		// which moves the cap on the idle deadline: the later of the two
		// requests' deadlines holds, within the new lifetime. A lifetime
		// of mine's own (SetLifetime) keeps its length from the new start.
		span := mine.Expires - mine.Created
		mine.User, mine.Created, mine.Expires = latest.User, latest.Created, latest.Expires
		if ch.Lifetime {
			mine.Expires = mine.Created + span
		}
		mine.IdleExpires = min(max(mine.IdleExpires, latest.IdleExpires), mine.Expires)
	}
	// Timeouts the other request set come with its deadlines, taken above
	// unless mine logged in; then the Manager bounds mine's deadlines by
	// them at the next load.
	if !ch.Lifetime {
		mine.IdleTimeout, mine.Lifetime = latest.IdleTimeout, latest.Lifetime
	}
	if !ch.Revocable {
		mine.Revocable = latest.Revocable
	}
	if !ch.Persistent {
		mine.Persistent = latest.Persistent
	}
	if !ch.Flashes {
		mine.Flashes = slices.Clone(latest.Flashes)
	}
}

func compareKey(e Entry, k string) int { return strings.Compare(e.Key, k) }

// Find returns the index of key in d's sorted entries, or where it would
// go. Packed data has no entries until Unpack: Lookup reads either.
func (d *Data) Find(key string) (int, bool) {
	return slices.BinarySearchFunc(d.Entries, key, compareKey)
}
