package keyrotation

import (
	"cmp"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionseal/session/internal/observe"
)

// State is the state of a key in a ring.
type State int

// The states. The zero State is invalid.
const (
	Primary  State = iota + 1 // seals and opens; exactly one per ring
	Active                    // opens only (new key being propagated, or old one draining)
	Disabled                  // kept, opens nothing, can be re-enabled
)

// String returns "primary", "active" or "disabled", the names used in the
// key ring file.
func (s State) String() string {
	switch s {
	case Primary:
		return "primary"
	case Active:
		return "active"
	case Disabled:
		return "disabled"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// parseState returns the State named s, as String names it: "primary",
// "active" or "disabled", exactly.
func parseState(s string) (State, bool) {
	for st := Primary; st <= Disabled; st++ {
		if s == st.String() {
			return st, true
		}
	}
	return 0, false
}

// Errors a caller acts on, matched with errors.Is.
var (
	// ErrUnknownKey means that the ring has no key with the ID, or, from
	// Keyring.Cipher, that the key is disabled.
	ErrUnknownKey = errors.New("keyrotation: unknown key id")
	// ErrUnsafe means that a change was refused because it would break
	// the ring or values sealed under it. The error says why.
	ErrUnsafe = errors.New("keyrotation: unsafe operation")
	// ErrInvalidKeyring means that a key ring file could not be used. The
	// error's text says where and why: the key, by its index in the file,
	// the field and the problem, never a secret.
	ErrInvalidKeyring = errors.New("keyrotation: invalid key ring")
)

var errInvalidPurpose = errors.New("keyrotation: invalid purpose")

// KeyInfo describes one key of a ring, without its secret.
type KeyInfo struct {
	ID       uint32
	State    State
	Created  time.Time // UTC
	Promoted time.Time // UTC; the last time the key became primary, zero if never
	// Enabled is when Enable last made the disabled key active again, in
	// UTC, which Promote waits the propagation delay from; zero if never,
	// and cleared by Promote (the wait is over) and by Disable.
	Enabled time.Time
	// PromotableAt is the earliest time Promote accepts the key: the later
	// of Created and Enabled, plus the ring's propagation delay and, when
	// the delay is not zero, one second, since the times are kept in whole
	// seconds.
	PromotableAt time.Time
	// Demoted is when the key last stopped being primary, in UTC: when
	// Promote, Force or EmergencyRotate made another key primary. It is
	// zero for the primary key and for a key that was never primary,
	// which sealed nothing. A key whose demotion the ring did not record
	// (it was demoted before the file recorded demotions, in version 3, or
	// was disabled at a later promotion) reports the primary key's
	// Promoted time, the last promotion, which is at or after the real one.
	Demoted time.Time
	// DisableableAt is the earliest time Disable accepts the key: Demoted
	// plus the ring's propagation delay (servers that had not loaded the
	// promotion kept sealing with the key meanwhile) plus its max lifetime
	// (the sessions they sealed then live that long), and, when those are
	// not both zero, one second, since the times are kept in whole
	// seconds. It is zero when Demoted is: Disable accepts a key that was
	// never primary at any time, and refuses the primary key whatever the
	// time.
	DisableableAt time.Time
	// Seals counts the Cipher.Seal calls this process made with the key,
	// for all purposes, since the ring was loaded or generated. Keep it,
	// summed over every process that seals, well under 2^32 (see
	// Cipher.Seal).
	Seals uint64
}

// secretSize is the size of a key's secret, the HKDF input keying material.
const secretSize = 32

// material is what a key ID owns for as long as it is in the ring: its
// secret, its ciphers (derived once) and its seal counter. Snapshots share
// it, so that a change to one key costs no cryptographic work for the
// others and counts survive every change.
type material struct {
	secret  [secretSize]byte
	ciphers [numPurposes]*Cipher
	macs    [numPurposes][]byte
	ed      ed25519.PrivateKey // for EdDSA reference tokens
	seals   atomic.Uint64
}

func newMaterial(id uint32, secret *[secretSize]byte) (*material, error) {
	m := &material{secret: *secret}
	for p := PurposeCookie; p <= PurposeJWT; p++ {
		c, err := deriveCipher(&m.secret, id, p, &m.seals)
		if err != nil {
			return nil, fmt.Errorf("keyrotation: deriving subkey: %w", err)
		}
		m.ciphers[p-1] = c
		if m.macs[p-1], err = deriveMACKey(&m.secret, id, p); err != nil {
			return nil, fmt.Errorf("keyrotation: deriving subkey: %w", err)
		}
	}
	var err error
	if m.ed, err = deriveEd25519(&m.secret, id); err != nil {
		return nil, fmt.Errorf("keyrotation: deriving subkey: %w", err)
	}
	return m, nil
}

// entry is one key in a snapshot.
type entry struct {
	id       uint32
	state    State
	created  time.Time
	promoted time.Time
	// demoted is when the key last stopped being primary, when that was
	// before the primary key's promotion; zero when the primary key's
	// promotion demoted it, or when the key was never primary (see
	// demotedAt).
	demoted time.Time
	enabled time.Time
	m       *material
}

// snapshot is an immutable view of the ring. Readers load it without a
// lock; writers build a new one and swap it in.
type snapshot struct {
	keys []entry // in Keys order: the primary first
	byID map[uint32]*entry
}

func newSnapshot(keys []entry) *snapshot {
	slices.SortFunc(keys, func(a, b entry) int {
		return cmp.Or(
			cmp.Compare(a.state, b.state),
			a.created.Compare(b.created),
			cmp.Compare(a.id, b.id),
		)
	})
	s := &snapshot{keys: keys, byID: make(map[uint32]*entry, len(keys))}
	for i := range keys {
		s.byID[keys[i].id] = &keys[i]
	}
	return s
}

// Keyring is a set of keys for sealing session data, one of them primary.
// Create one with Generate, Parse or LoadFile; the zero Keyring is not
// usable.
//
// A Keyring is safe for concurrent use. Primary and Cipher, called for every
// request, take no lock and allocate nothing; changes (Add, Promote, Force,
// Disable, Enable, Remove) are serialised and replace the ring's contents
// atomically, so a reader sees the ring either before or after a change.
type Keyring struct {
	snap atomic.Pointer[snapshot]

	mu  sync.Mutex
	mat map[uint32]*material // every key in the ring; guarded by mu
	// delay is the propagation delay in force, defaultPropagationDelay
	// unless set; recordDelay says that it was set, by the file or by
	// SetPropagationDelay, and so goes in the file. lifetime and
	// recordLifetime are the same for the max lifetime. Guarded by mu.
	delay          time.Duration
	recordDelay    bool
	lifetime       time.Duration
	recordLifetime bool
	// clock is time.Now, or the tests' clock. Guarded by mu.
	clock func() time.Time
	// observer hears of reloads; see attach.
	observer atomic.Pointer[observe.Box]
}

// newKeyring returns a Keyring of keys, whose materials it keeps.
func newKeyring(keys []entry) *Keyring {
	k := &Keyring{
		mat:      make(map[uint32]*material, len(keys)),
		delay:    defaultPropagationDelay,
		lifetime: defaultMaxLifetime,
		clock:    time.Now,
	}
	for _, e := range keys {
		k.mat[e.id] = e.m
	}
	k.snap.Store(newSnapshot(keys))
	return k
}

// stamp is the time recorded for t, when a key is made, promoted or
// enabled: UTC, in whole seconds as the file stores it.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// Generate returns a Keyring of one new primary key, with a random secret
// and a random ID. Save it with WriteFile.
func Generate() (*Keyring, error) {
	e, err := newKey(nil, stamp(time.Now()))
	if err != nil {
		return nil, err
	}
	e.state = Primary
	e.promoted = e.created
	return newKeyring([]entry{e}), nil
}

// newKey returns a new key in no state, created at created, with a random
// secret and a random ID that is not 0 and not in taken.
func newKey(taken map[uint32]*material, created time.Time) (entry, error) {
	var b [4]byte
	id := uint32(0)
	for id == 0 || taken[id] != nil {
		if _, err := rand.Read(b[:]); err != nil {
			return entry{}, fmt.Errorf("keyrotation: reading random key id: %w", err)
		}
		id = binary.BigEndian.Uint32(b[:])
	}
	var secret [secretSize]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return entry{}, fmt.Errorf("keyrotation: reading random secret: %w", err)
	}
	m, err := newMaterial(id, &secret)
	clear(secret[:])
	if err != nil {
		return entry{}, err
	}
	return entry{id: id, created: created, m: m}, nil
}

// Keys describes the keys of the ring: the primary key first, then the
// active keys, then the disabled keys, each group by creation time and
// then ID.
func (k *Keyring) Keys() []KeyInfo {
	// The lock gives the waits of the keys' state of the ring.
	k.mu.Lock()
	s, delay, lifetime := k.snap.Load(), k.delay, k.lifetime
	k.mu.Unlock()
	infos := make([]KeyInfo, len(s.keys))
	for i := range s.keys {
		e := &s.keys[i]
		ready, _ := readyAt(e, delay)
		demoted := demotedAt(s.keys, e)
		infos[i] = KeyInfo{
			ID:            e.id,
			State:         e.state,
			Created:       e.created,
			Promoted:      e.promoted,
			Enabled:       e.enabled,
			PromotableAt:  ready,
			Demoted:       demoted,
			DisableableAt: disableableAt(demoted, delay, lifetime),
			Seals:         e.m.seals.Load(),
		}
	}
	return infos
}

// String returns a summary without secrets, such as
// "keyrotation.Keyring{primary: 123, keys: 3}".
func (k *Keyring) String() string {
	s := k.snap.Load()
	return fmt.Sprintf("keyrotation.Keyring{primary: %d, keys: %d}", s.keys[0].id, len(s.keys))
}

// GoString returns the same summary as String, so that %#v prints no
// secrets either.
func (k *Keyring) GoString() string { return k.String() }

// Primary returns the ID of the primary key and its cipher for p, the one
// to seal with. Both come from one state of the ring: record the ID beside
// the sealed value, so that Cipher finds the key that opens it. Look them
// up for each value sealed, so that a promotion takes effect at once. The
// only error is for an invalid p.
func (k *Keyring) Primary(p Purpose) (id uint32, c *Cipher, err error) {
	if !p.valid() {
		return 0, nil, errInvalidPurpose
	}
	e := &k.snap.Load().keys[0]
	return e.id, e.m.ciphers[p-1], nil
}

// Cipher returns the cipher of key id for p, to open a value whose format
// recorded id. It returns ErrUnknownKey when the ring has no such key or the
// key is disabled: the value cannot be opened, and no other key is tried.
func (k *Keyring) Cipher(p Purpose, id uint32) (*Cipher, error) {
	if !p.valid() {
		return nil, errInvalidPurpose
	}
	e := k.snap.Load().byID[id]
	if e == nil || e.state == Disabled {
		return nil, ErrUnknownKey
	}
	return e.m.ciphers[p-1], nil
}
