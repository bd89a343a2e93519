package keyrotation

import (
	"fmt"
	"slices"
	"time"
)

// defaultPropagationDelay is the propagation delay of a ring that sets
// none: the time Promote waits after a key was added, for the ring to reach
// every server.
const defaultPropagationDelay = time.Hour

// errTooEarly reports a Promote of a key added less than the propagation
// delay ago: the only reason Promote refuses an active key.
var errTooEarly = fmt.Errorf("%w: key not yet propagated", ErrUnsafe)

// PropagationDelay returns how long after a key was added Promote accepts
// it: the time the operator allows for the ring to reach every server, and
// for their watchers to load it. Default one hour. SetPropagationDelay
// records it in the key ring file.
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
// propagate) and for an active key before its KeyInfo.PromotableAt, the
// propagation delay after it was added or enabled again, and one matching
// ErrUnknownKey for an ID not in the ring.
//
// Promote a key only once every server that opens values has it, or those
// servers will reject what this one seals: the propagation delay guards
// against promoting a key at once by mistake.
func (k *Keyring) Promote(id uint32) error {
	return k.promote(id, false)
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
			errTooEarly, id, what, from.Format(time.RFC3339), ready.Format(time.RFC3339), k.delay)
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
