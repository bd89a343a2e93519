package session

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/sessionseal/session/internal/payload"
)

// fromRecord returns the session whose record a store loaded. A payload
// that does not decode is ErrInvalid: the store authenticated it, so it
// can only come from a store that keeps something else.
func fromRecord(r *Record) (*Session, error) {
	s := &Session{mode: r.Mode, rev: r.Revision, touched: r.Reseal}
	// Packed: most requests read a value or two and change nothing.
	if err := payload.ParsePacked(&s.d, r.Payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	// A session a store made from something else (a legacy cookie it
	// converts) gets its times from the Manager, and is saved on this
	// response, so that the client gets a token of ours. A time in the
	// payload never means this: zero is a time like any other.
	if r.Converted {
		s.fresh, s.touched = true, true
	}
	s.base = s.d.Issued
	return s, nil
}

// record returns the record of s for a store to save or delete, with the
// client of r. s.mu must be held.
func (s *Session) record(r *http.Request) *Record {
	rec := &Record{
		ID: s.d.ID, User: s.d.User, Revocable: s.d.Revocable,
		Started: time.Unix(s.d.Created, 0), Issued: time.Unix(s.d.Issued, 0),
		Idle: time.Unix(s.d.IdleExpires, 0), Deadline: time.Unix(s.d.Expires, 0),
		Payload:    s.d.Append(make([]byte, 0, s.d.Size())),
		Mode:       s.mode,
		Revision:   s.rev,
		PreviousID: s.prevID, EndedUser: s.ended,
		Changes: Changes{
			User: s.meta&metaUser != 0, Revocable: s.meta&metaRevocable != 0,
			Persistent: s.meta&metaPersistent != 0, Flashes: s.meta&metaFlashes != 0,
			Lifetime: s.meta&metaLifetime != 0,
		},
	}
	if s.base != 0 {
		rec.Base = time.Unix(s.base, 0)
	}
	for i := range s.d.Entries {
		if s.d.Entries[i].Dirty {
			rec.Changes.Set = append(rec.Changes.Set, s.d.Entries[i].Key)
		}
	}
	if len(s.removed) > 0 {
		rec.Changes.Deleted = slices.Sorted(slices.Values(s.removed))
	}
	if r != nil {
		rec.userAgent, rec.remoteAddr = r.UserAgent(), r.RemoteAddr
	}
	return rec
}

// stored takes what a store's Save reported: where the session lives now,
// its revision, and, when the store merged concurrent saves, their
// changes, with this request's still marked.
func (s *Session) stored(rec *Record) error {
	s.mode, s.rev = rec.Mode, rec.Revision
	if !rec.Merged {
		return nil
	}
	var d payload.Data
	if err := payload.Parse(&d, slices.Clone(rec.Payload)); err != nil {
		return fmt.Errorf("session: a store merged a malformed payload: %v", err)
	}
	for _, k := range rec.Changes.Set {
		if i, ok := d.Find(k); ok {
			d.Entries[i].Dirty = true
		}
	}
	s.d = d
	return nil
}
