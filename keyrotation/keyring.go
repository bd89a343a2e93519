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

func (s State) valid() bool { return s >= Primary && s <= Disabled }

var errInvalidState = errors.New("keyrotation: invalid state: want primary, active or disabled")

// MarshalText returns the name of s, as String does. It fails for a State
// that is not one of the constants.
func (s State) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, errInvalidState
	}
	return []byte(s.String()), nil
}

// UnmarshalText sets s from its name: "primary", "active" or "disabled",
// exactly. The error does not repeat the text.
func (s *State) UnmarshalText(text []byte) error {
	for st := Primary; st <= Disabled; st++ {
		if string(text) == st.String() {
			*s = st
			return nil
		}
	}
	return errInvalidState
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
	// error is a *ParseError that says where and why.
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
	enabled  time.Time
	m        *material
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
// request, take no lock and allocate nothing; changes (Add, Promote,
// Disable, Enable, Remove) are serialised and replace the ring's contents
// atomically, so a reader sees the ring either before or after a change.
type Keyring struct {
	snap atomic.Pointer[snapshot]

	mu  sync.Mutex
	mat map[uint32]*material // every key in the ring; guarded by mu
	// delay is the propagation delay in force, DefaultPropagationDelay
	// unless set; recordDelay says that it was set, by the file or by
	// SetPropagationDelay, and so goes in the file. Guarded by mu.
	delay       time.Duration
	recordDelay bool
}

// DefaultPropagationDelay is the propagation delay of a ring that sets
// none: the time Promote waits after a key was added, for the ring to reach
// every server.
const DefaultPropagationDelay = time.Hour

// ErrTooEarly reports a Promote of a key added less than the propagation
// delay ago. It matches ErrUnsafe.
var ErrTooEarly = fmt.Errorf("%w: key not yet propagated", ErrUnsafe)

// PropagationDelay returns how long after a key was added Promote accepts
// it: the time the operator allows for the ring to reach every server, and
// for their watchers to load it. Default DefaultPropagationDelay (one
// hour). It is recorded in the key ring file.
func (k *Keyring) PropagationDelay() time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.delay
}

// SetPropagationDelay sets the propagation delay; see PropagationDelay.
// Set it to at least the time your deployment takes to copy the ring to
// every server plus the watchers' polling interval. Zero turns the check
// off, which only a single server can afford.
func (k *Keyring) SetPropagationDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("keyrotation: negative propagation delay %v", d)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.delay, k.recordDelay = d, true
	return nil
}

// newKeyring returns a Keyring of keys, whose materials it keeps.
func newKeyring(keys []entry) *Keyring {
	k := &Keyring{mat: make(map[uint32]*material, len(keys)), delay: DefaultPropagationDelay}
	for _, e := range keys {
		k.mat[e.id] = e.m
	}
	k.snap.Store(newSnapshot(keys))
	return k
}

// now is the time recorded for a new or promoted key: UTC, in whole seconds
// as the file stores it.
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// Generate returns a Keyring of one new primary key, with a random secret
// and a random ID. Save it with WriteFile.
func Generate() (*Keyring, error) {
	e, err := newKey(nil)
	if err != nil {
		return nil, err
	}
	e.state = Primary
	e.promoted = e.created
	return newKeyring([]entry{e}), nil
}

// newKey returns a new key in no state, with a random secret and a random
// ID that is not 0 and not in taken.
func newKey(taken map[uint32]*material) (entry, error) {
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
	return entry{id: id, created: now(), m: m}, nil
}

// Add adds a new key with a random secret in state Active and returns its
// ID. An active key opens but does not seal: copy the ring to every server
// before promoting it (see "Key rotation" in the package documentation).
func (k *Keyring) Add() (uint32, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, err := newKey(k.mat)
	if err != nil {
		return 0, err
	}
	e.state = Active
	k.mat[e.id] = e.m
	k.snap.Store(newSnapshot(append(k.clone(), e)))
	return e.id, nil
}

// clone returns a copy of the current keys for a change. k.mu must be held.
func (k *Keyring) clone() []entry {
	return slices.Clone(k.snap.Load().keys)
}

// find returns the index of id in keys, or an error that matches
// ErrUnknownKey.
func find(keys []entry, id uint32) (int, error) {
	i := slices.IndexFunc(keys, func(e entry) bool { return e.id == id })
	if i < 0 {
		return -1, fmt.Errorf("%w %d", ErrUnknownKey, id)
	}
	return i, nil
}

// Promote makes the active key id the primary key, which seals from now
// on, and makes the previous primary key active, so that values it sealed
// still open. Promoting the primary key does nothing. It returns an error
// matching ErrUnsafe for a disabled key (Enable it first, and let it
// propagate), ErrTooEarly for a key added less than PropagationDelay ago,
// and one matching ErrUnknownKey for an ID not in the ring.
//
// Promote a key only once every server that opens values has it, or those
// servers will reject what this one seals: the propagation delay guards
// against promoting a key at once by mistake.
func (k *Keyring) Promote(id uint32) error {
	return k.promote(id, false)
}

// PromotableAt returns the earliest time at which Promote accepts key id:
// its creation, or the last time Enable made it active again if later, plus
// the propagation delay. It returns an error matching ErrUnknownKey for an
// ID not in the ring.
func (k *Keyring) PromotableAt(id uint32) (time.Time, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.snap.Load().byID[id]
	if e == nil {
		return time.Time{}, fmt.Errorf("%w %d", ErrUnknownKey, id)
	}
	ready, _ := readyAt(e, k.delay)
	return ready, nil
}

// readyAt returns when key e may be promoted under delay, and the time the
// delay runs from: the key's creation, or the last time it was enabled
// again, since servers that still have it disabled reject what it seals
// just as servers without it do.
func readyAt(e *entry, delay time.Duration) (ready, from time.Time) {
	from = e.created
	if e.enabled.After(from) {
		from = e.enabled
	}
	if delay == 0 {
		return from, from
	}
	// Times are kept in whole seconds, rounded down: one second more makes
	// sure the wait is never shorter than the delay. It is added to the
	// time, not to the delay, whose sum could overflow to the past for a
	// huge delay; Time.Add saturates instead.
	return from.Add(delay).Add(time.Second), from
}

// ForcePromote is Promote without the propagation delay: servers that do
// not have the key yet reject what it seals until they load the ring. Only
// use it when that is acceptable, such as on a single server. It is not the
// answer to a leak: the previous primary key stays active, and an exposed
// ring file exposes every key in it; use EmergencyRotate.
func (k *Keyring) ForcePromote(id uint32) error {
	return k.promote(id, true)
}

// EmergencyRotate retires every key of the ring at once, for when its
// secrets were exposed: a leaked copy of the ring file (or of the
// environment variable, or of a backup) holds every key in it, not only the
// primary one. In one change, it adds a new key, makes it primary without
// the propagation delay, and disables every other key, so that nothing
// sealed or signed under the exposed keys opens any more, forged or not. It
// returns the new key's ID and the IDs of the keys it disabled (those that
// were primary or active), in Keys order; keys already disabled stay so.
//
// Every session in use is lost: its user gets a fresh one. Write the ring
// and copy it to every server at once; until a server loads it, that server
// still opens what the exposed keys sealed, and rejects what the new key
// seals. The disabled keys stay exposed for good: never Enable them again,
// and Remove them once the incident is over.
//
// The same change made in steps (Add, ForcePromote, Disable of the primary
// key) is not safe: a ring deployed between the steps, or a key left
// active, opens forged values, and servers re-seal them under the new
// primary key, out of reach of a later Disable.
func (k *Keyring) EmergencyRotate() (id uint32, disabled []uint32, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, err := newKey(k.mat)
	if err != nil {
		return 0, nil, err
	}
	keys := k.clone()
	for i := range keys {
		if keys[i].state == Disabled {
			continue
		}
		disabled = append(disabled, keys[i].id)
		keys[i].state = Disabled
		keys[i].enabled = time.Time{}
	}
	e.state = Primary
	e.promoted = e.created
	k.mat[e.id] = e.m
	k.snap.Store(newSnapshot(append(keys, e)))
	return e.id, disabled, nil
}

func (k *Keyring) promote(id uint32, force bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := k.clone()
	i, err := find(keys, id)
	if err != nil {
		return err
	}
	switch keys[i].state {
	case Primary:
		return nil
	case Disabled:
		return fmt.Errorf("%w: cannot promote the disabled key %d: enable it first", ErrUnsafe, id)
	}
	if ready, from := readyAt(&keys[i], k.delay); !force && time.Now().Before(ready) {
		what := "added"
		if from.After(keys[i].created) {
			what = "enabled again"
		}
		return fmt.Errorf("%w: key %d was %s at %s; promote it from %s, once every server has it active (propagation delay %v), or force it",
			ErrTooEarly, id, what, from.Format(time.RFC3339), ready.Format(time.RFC3339), k.delay)
	}
	// keys[0] is the primary: snapshots keep the primary first.
	keys[0].state = Active
	keys[i].state = Primary
	keys[i].promoted = now()
	// The wait is over: the enabled time holds nothing back any more, and
	// a ring without one is a version 1 file again.
	keys[i].enabled = time.Time{}
	k.snap.Store(newSnapshot(keys))
	return nil
}

// Disable disables the active key id: it stays in the ring but opens
// nothing, so values it sealed are rejected. Disabling a disabled key does
// nothing. It returns an error matching ErrUnsafe for the primary key
// (promote another key first), and one matching ErrUnknownKey for an ID not
// in the ring.
//
// Disable a former primary key only after the longest lifetime of the
// values it sealed, or their holders lose them.
func (k *Keyring) Disable(id uint32) error {
	return k.setState(id, Disabled)
}

// Enable makes the disabled key id active again, so that it opens values,
// and records when (KeyInfo.Enabled, until Promote or Disable clears it):
// Promote then waits for the propagation delay from that time, as for a new
// key. The ring's file becomes version 2 (see "File format" in the package
// documentation), which every reader of the ring must be able to read.
// Enabling an active or primary key does nothing. It returns an error
// matching ErrUnknownKey for an ID not in the ring.
func (k *Keyring) Enable(id uint32) error {
	return k.setState(id, Active)
}

// setState moves key id between Active and Disabled.
func (k *Keyring) setState(id uint32, to State) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := k.clone()
	i, err := find(keys, id)
	if err != nil {
		return err
	}
	switch keys[i].state {
	case to:
		return nil
	case Primary:
		if to == Disabled {
			return fmt.Errorf("%w: cannot disable the primary key %d", ErrUnsafe, id)
		}
		return nil
	}
	keys[i].state = to
	// A disabled key has nothing to wait for; the next Enable starts the
	// wait again.
	keys[i].enabled = time.Time{}
	if to == Active {
		keys[i].enabled = now()
	}
	k.snap.Store(newSnapshot(keys))
	return nil
}

// Remove deletes the disabled key id, and its secret, from the ring, for
// good: once the ring is written and deployed, values the key sealed can be
// opened only with an older copy of the ring file. It returns an error
// matching ErrUnsafe for a key that is not disabled (disable it first: the
// step can be undone, this one cannot), and one matching ErrUnknownKey for
// an ID not in the ring.
func (k *Keyring) Remove(id uint32) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := k.clone()
	i, err := find(keys, id)
	if err != nil {
		return err
	}
	if st := keys[i].state; st != Disabled {
		return fmt.Errorf("%w: cannot remove the %s key %d: disable it first", ErrUnsafe, st, id)
	}
	delete(k.mat, id)
	k.snap.Store(newSnapshot(slices.Delete(keys, i, i+1)))
	return nil
}

// Keys describes the keys of the ring: the primary key first, then the
// active keys, then the disabled keys, each group by creation time and
// then ID.
func (k *Keyring) Keys() []KeyInfo {
	s := k.snap.Load()
	infos := make([]KeyInfo, len(s.keys))
	for i, e := range s.keys {
		infos[i] = KeyInfo{
			ID:       e.id,
			State:    e.state,
			Created:  e.created,
			Promoted: e.promoted,
			Enabled:  e.enabled,
			Seals:    e.m.seals.Load(),
		}
	}
	return infos
}

// PrimaryID returns the ID of the primary key.
func (k *Keyring) PrimaryID() uint32 {
	return k.snap.Load().keys[0].id
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

// Primary returns the cipher of the primary key for p, the one to seal
// with. Look it up for each value sealed, so that a promotion takes effect
// at once. The only error is for an invalid p.
func (k *Keyring) Primary(p Purpose) (*Cipher, error) {
	if !p.valid() {
		return nil, errInvalidPurpose
	}
	return k.snap.Load().keys[0].m.ciphers[p-1], nil
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

// MACKey returns a copy of key id's 32-byte HMAC-SHA256 subkey for p, to
// sign and verify tokens such as JWTs. It is derived apart from the key's
// cipher subkey for p, so that one secret never serves two algorithms. It
// returns ErrUnknownKey when the ring has no such key or the key is
// disabled. Sign with the key of PrimaryID.
func (k *Keyring) MACKey(p Purpose, id uint32) ([]byte, error) {
	if !p.valid() {
		return nil, errInvalidPurpose
	}
	e := k.snap.Load().byID[id]
	if e == nil || e.state == Disabled {
		return nil, ErrUnknownKey
	}
	return slices.Clone(e.m.macs[p-1]), nil
}
