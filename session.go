package session

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sessionseal/session/internal/payload"
)

// Mode says where a session lives.
type Mode uint8

const (
	// ModeCookie: the whole session is sealed in the cookie; the server
	// keeps nothing.
	ModeCookie Mode = iota
	// ModeServer: the session is a server record; the cookie holds a
	// signed reference to it.
	ModeServer
)

func (m Mode) String() string {
	switch m {
	case ModeCookie:
		return "cookie"
	case ModeServer:
		return "server"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Session is one client's session: values keyed by string, stored as their
// JSON encoding and decoded only when read, plus metadata. A Session is safe
// for use by several goroutines of one request. Handlers get it with From.
type Session struct {
	mu      sync.Mutex
	d       payload.Data
	mode    Mode
	prevID  string   // ID before Renew or Destroy, whose record a store deletes
	ended   string   // user of the session Destroy ended, for stores that record it
	removed []string // keys deleted since load, for stores that merge writes
	meta    metaSet  // metadata changed since load, for stores that merge writes
	rev     int64    // the store's revision of the record it was loaded from
	base    int64    // d.Issued of the copy loaded or last saved

	fresh     bool // never saved
	login     bool // the user changed since the last save, which restarts the lifetime
	changed   bool // contents differ from what was loaded
	touched   bool // save even though unchanged
	destroyed bool
	committed bool // the response has been written; later changes are lost
	late      bool // changed after committed
	hadCookie bool // the request carried a cookie of the session's name
	bearer    bool // loaded from an Authorization header
}

// metaSet records which metadata a request changed.
type metaSet uint8

const (
	metaUser metaSet = 1 << iota
	metaRevocable
	metaPersistent
	metaFlashes
	metaLifetime
)

// newSession returns an empty session created at now.
func newSession(now time.Time, idle, lifetime time.Duration) *Session {
	s := &Session{fresh: true, d: payload.Data{ID: payload.NewID()}}
	s.start(now.Unix(), idle, lifetime)
	return s
}

// ID returns the session's ID: 128 random bits in base64url. It changes on
// Renew. Treat it as a secret in server mode, where it names the record.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d.ID
}

// Get decodes the value stored under key into dst, as json.Unmarshal does,
// with json.Unmarshal's errors. It reports false, and leaves dst alone,
// when there is no such key. After an error, what dst holds is
// unspecified, as it is for json.Unmarshal, which fills some fields and
// not others.
func (s *Session) Get(key string, dst any) (bool, error) {
	s.mu.Lock()
	v, ok := s.d.Lookup(key)
	s.mu.Unlock()
	if !ok {
		return false, nil
	}
	if err := decodeValue(v, dst); err != nil {
		return true, fmt.Errorf("session: decoding value %q: %w", key, err)
	}
	return true, nil
}

// Value returns the value stored under key as a T. It reports false, with
// T's zero value, when there is no such key.
func Value[T any](s *Session, key string) (T, bool, error) {
	var v T
	ok, err := s.Get(key, &v)
	return v, ok, err
}

// Set stores v under key, encoded at once with json.Marshal: a value that
// cannot be encoded is an error here, not when the session is saved. Setting
// a value equal to the stored one changes nothing.
func (s *Session) Set(key string, v any) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("session: encoding value %q: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	i, ok := s.find(key)
	if ok && bytes.Equal(s.d.Entries[i].Value, b) {
		return nil
	}
	s.change()
	if ok {
		s.d.Entries[i].Value, s.d.Entries[i].Dirty = b, true
		return nil
	}
	s.d.Entries = slices.Insert(s.d.Entries, i, payload.Entry{Key: key, Value: b, Dirty: true})
	if j := slices.Index(s.removed, key); j >= 0 {
		s.removed = slices.Delete(s.removed, j, j+1)
	}
	return nil
}

// Delete removes key and its value.
func (s *Session) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	if i, ok := s.find(key); ok {
		s.change()
		s.remove(i)
	}
}

// Clear removes every value and flash. The ID, user and flags stay.
func (s *Session) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	if len(s.d.Entries) == 0 && len(s.d.Flashes) == 0 {
		return
	}
	s.change()
	for i := len(s.d.Entries) - 1; i >= 0; i-- {
		s.remove(i)
	}
	if len(s.d.Flashes) > 0 {
		s.meta |= metaFlashes
		s.d.Flashes = nil
	}
}

// Keys returns the keys that hold values, sorted.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	keys := make([]string, len(s.d.Entries))
	for i := range s.d.Entries {
		keys[i] = s.d.Entries[i].Key
	}
	return keys
}

// AddFlash queues a message for the next call to Flashes, typically on the
// next request.
func (s *Session) AddFlash(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	s.change()
	s.meta |= metaFlashes
	s.d.Flashes = append(s.d.Flashes, msg)
}

// Flashes returns the queued flash messages and removes them: each is read
// once.
func (s *Session) Flashes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	f := s.d.Flashes
	if len(f) > 0 {
		s.change()
		s.meta |= metaFlashes
		s.d.Flashes = nil
	}
	return f
}

// User returns the ID of the user the session belongs to, or "".
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d.User
}

// SetUser records the user the session belongs to, which lets a server
// store revoke all of a user's sessions. When the user changes, the
// session gets a new ID at the next save, as Renew gives, against session
// fixation (unless Options.KeepIDOnLogin); call Renew yourself on other
// changes of privilege. When the user changes to another non-empty ID, the
// session's absolute lifetime starts again at the end of the request, as
// for a new session: see StartedAt.
func (s *Session) SetUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d.User != id {
		s.change()
		s.meta |= metaUser
		s.login = true
		s.d.User = id
	}
}

// Revocable reports whether the session must be revocable, which a hybrid
// store honours by keeping it on the server. The default is false.
func (s *Session) Revocable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d.Revocable
}

// SetRevocable sets whether the session must be revocable.
func (s *Session) SetRevocable(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d.Revocable != v {
		s.change()
		s.meta |= metaRevocable
		s.d.Revocable = v
	}
}

// SetPersistent chooses a persistent cookie, kept by the browser until the
// session's idle deadline, over the default browser-session cookie, which
// the browser drops when it closes. The server enforces the session's
// deadlines either way. For "remember me", which also wants longer
// timeouts, call SetLifetime.
func (s *Session) SetPersistent(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPersistent(v)
}

// SetLifetime gives the session its own idle timeout and absolute
// lifetime in place of Options.IdleTimeout and Options.Lifetime, and a
// persistent cookie: "remember me" is one call, for example
// s.SetLifetime(30*24*time.Hour, 90*24*time.Hour) at login. A zero (or
// negative) duration keeps the Manager's value for that timeout; times are
// whole seconds. Both are clamped to Options.MaxLifetime, at this save and
// on every later load, so that the server's current options bound every
// deadline. The lifetime counts, like the Manager's, from the session's
// start (creation, or the save of a login), and the new deadlines hold
// from the next save: see IdleDeadline and Deadline. They are sealed with
// the session, in cookies and server records alike, and survive Renew; a
// session without them keeps following the Manager's options. Call
// SetPersistent(false) afterwards to keep a browser-session cookie.
func (s *Session) SetLifetime(idle, lifetime time.Duration) {
	i, l := int64(max(idle, 0)/time.Second), int64(max(lifetime, 0)/time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPersistent(true)
	if s.d.IdleTimeout != i || s.d.Lifetime != l {
		s.change()
		s.meta |= metaLifetime
		s.d.IdleTimeout, s.d.Lifetime = i, l
	}
}

func (s *Session) setPersistent(v bool) {
	if s.d.Persistent != v {
		s.change()
		s.meta |= metaPersistent
		s.d.Persistent = v
	}
}

// Renew gives the session a new ID, keeping its contents; the next save
// issues a new token and a server store deletes the record under the old ID.
// Call it on login and on any change of privilege, against session fixation.
func (s *Session) Renew() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change()
	s.renew()
}

// Destroy deletes the session: its server record, if any, is removed and
// the cookie is expired. A change made after Destroy starts a new, empty
// session with a new ID, which keeps the destroyed session's deadlines.
func (s *Session) Destroy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d.Unpack()
	if s.committed {
		s.late = true
	}
	if s.prevID == "" && !s.fresh {
		s.prevID = s.d.ID
	}
	if s.ended == "" {
		s.ended = s.d.User
	}
	d := payload.Data{ID: s.d.ID, Created: s.d.Created, Issued: s.d.Issued,
		IdleExpires: s.d.IdleExpires, Expires: s.d.Expires}
	for i := len(s.d.Entries) - 1; i >= 0; i-- {
		s.remove(i)
	}
	s.d = d
	s.destroyed, s.changed, s.touched = true, false, false
}

// Mode reports where the session lives: where the store found it or last
// saved it, and ModeCookie for a new session before its first save.
func (s *Session) Mode() Mode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// StartedAt returns when the session's absolute lifetime began: its
// creation or, if later, the save that followed a change of its user (a
// login). Revocation stamps, which refuse sessions of a user started
// before them, are checked against it.
func (s *Session) StartedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(s.d.Created, 0)
}

// IdleDeadline returns when the session expires unless it is used again:
// its idle deadline, never later than Deadline. A persistent cookie's
// expiry is this deadline.
func (s *Session) IdleDeadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(s.d.IdleExpires, 0)
}

// Deadline returns the end of the session's absolute lifetime, which no
// activity extends.
func (s *Session) Deadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Unix(s.d.Expires, 0)
}

// find returns the index of key in the sorted entries, which must be
// unpacked, or where it would go.
func (s *Session) find(key string) (int, bool) { return s.d.Find(key) }

func (s *Session) remove(i int) {
	s.removed = append(s.removed, s.d.Entries[i].Key)
	s.d.Entries = slices.Delete(s.d.Entries, i, i+1)
}

// change records a change; after Destroy it starts a new session.
func (s *Session) change() {
	if s.committed {
		s.late = true
	}
	if s.destroyed {
		s.destroyed = false
		s.d.ID = payload.NewID()
		s.fresh = true
	}
	s.changed = true
}

func (s *Session) renew() {
	if s.prevID == "" && !s.fresh {
		s.prevID = s.d.ID
	}
	s.d.ID = payload.NewID()
}

// detach cuts s, destroyed and changed since, from the destroyed session,
// whose record the store has deleted: s is saved as a new session.
func (s *Session) detach() {
	s.prevID, s.ended, s.rev, s.base, s.mode = "", "", 0, 0, ModeCookie
}

// endsRecord reports whether a save of s must first delete the record of
// the session it was loaded as: s was destroyed, or destroyed and then
// changed, which starts a new session.
func (s *Session) endsRecord() bool {
	return s.prevID != "" && (s.destroyed || s.fresh)
}

// saved records a successful save. What changed since load stays marked
// while no server record holds it (revision 0: a session in its cookie),
// so that a later save in the same request that merges with a concurrent
// one re-applies it, against the cookie it was loaded from.
func (s *Session) saved() {
	s.fresh, s.changed, s.touched, s.destroyed, s.login = false, false, false, false, false
	s.prevID, s.ended = "", ""
	if s.rev == 0 {
		return
	}
	s.removed, s.meta, s.base = nil, 0, s.d.Issued
	for i := range s.d.Entries {
		s.d.Entries[i].Dirty = false
	}
}

// start begins the session's lifetime at t: its creation, its absolute
// deadline and a first save.
func (s *Session) start(t int64, idle, lifetime time.Duration) {
	s.d.Created = t
	s.d.Expires = t + int64(lifetime/time.Second)
	s.setIssued(t, idle)
}

// setIssued stamps a save at t: the idle deadline restarts, capped by the
// absolute one.
func (s *Session) setIssued(t int64, idle time.Duration) {
	s.d.Issued = t
	s.d.IdleExpires = min(t+int64(idle/time.Second), s.d.Expires)
}
