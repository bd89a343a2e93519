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

// defaultMaxLifetime is the max lifetime of a ring that sets none: 7 days,
// the default Lifetime of a session.Manager.
const defaultMaxLifetime = 7 * 24 * time.Hour

// errTooEarly reports a Promote of a key added less than the propagation
// delay ago: the only reason Promote refuses an active key.
var errTooEarly = fmt.Errorf("%w: key not yet propagated", ErrUnsafe)

// errInUse reports a Disable of a former primary key before its
// KeyInfo.DisableableAt: the only reason Disable refuses an active key.
var errInUse = fmt.Errorf("%w: sessions sealed under the key may still be in use", ErrUnsafe)

// Waits returns the two waits of a rotation, which the ring enforces.
//
// The propagationDelay is how long after a key was added (or enabled
// again) Promote accepts it: the time the operator allows for the ring to
// reach every server, and for their watchers to load it. Default one hour.
//
// The maxLifetime is the longest lifetime of a value sealed under a key:
// Disable accepts a former primary key only once the propagation delay
// (servers that had not loaded the promotion kept sealing with it) and
// then the max lifetime (what they sealed lives that long) have passed
// since it stopped being primary. Default 7 days, the default Lifetime of
// a session.Manager.
//
// SetPropagationDelay and SetMaxLifetime record them in the key ring
// file.
func (k *Keyring) Waits() (propagationDelay, maxLifetime time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.delay, k.lifetime
}

// SetPropagationDelay sets the propagation delay; see Waits. Set it to at
// least the time your deployment takes to copy the ring to every server
// plus the watchers' polling interval. Zero turns the check off, which
// only a single server can afford.
func (k *Keyring) SetPropagationDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("keyrotation: negative propagation delay %v", d)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.delay, k.recordDelay = d, true
	return nil
}

// SetMaxLifetime sets the max lifetime; see Waits. Set it to at least the
// longest MaxLifetime of the Managers whose sessions the ring seals, and of
// anything else sealed or signed with it. Zero leaves only the propagation
// delay between a key's demotion and its Disable, which only a ring whose
// sealed values all end at once can afford.
//
// A ring whose max lifetime was set is written as a version 3 file (see
// "File format" in the package documentation), which every reader of the
// ring must be able to read.
func (k *Keyring) SetMaxLifetime(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("keyrotation: negative max lifetime %v", d)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lifetime, k.recordLifetime = d, true
	return nil
}

// Add adds a new key with a random secret in state Active and returns its
// ID. An active key opens but does not seal: copy the ring to every server
// before promoting it (see "Key rotation" in the package documentation).
func (k *Keyring) Add() (uint32, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, err := newKey(k.mat, stamp(k.clock()))
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
// still open; that key's KeyInfo.Demoted is then the time of the change,
// from which Disable waits before it accepts it. Promoting the primary key
// does nothing. It returns an error matching ErrUnsafe for a disabled key
// (Enable it first, and let it propagate) and for an active key before its
// KeyInfo.PromotableAt, the propagation delay after it was added or enabled
// again, and one matching ErrUnknownKey for an ID not in the ring.
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

// Force makes key id primary (to == Primary) or disabled (to == Disabled)
// as Promote or Disable would, without waiting: Force(id, Primary) skips
// the propagation delay, and Force(id, Disabled) the max lifetime. It
// refuses what they refuse for any other reason, with the same errors, and
// any other state.
//
// Forcing Promote, servers that do not have the key yet reject what it
// seals until they load the ring: only use it when that is acceptable,
// such as on a single server. Forcing Disable, the users whose sessions the
// key sealed, and were not re-sealed since, lose them: only use it once
// every value the key sealed is known to be gone or re-sealed, or in
// tests. Neither is the answer to a leak: a forced Promote leaves the
// previous primary key active, and an exposed ring file exposes every key
// in it; use EmergencyRotate.
func (k *Keyring) Force(id uint32, to State) error {
	switch to {
	case Primary:
		return k.promote(id, true)
	case Disabled:
		return k.setState(id, Disabled, true)
	}
	return fmt.Errorf("keyrotation: cannot force key %d to %v: only to primary or disabled", id, to)
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
// and Remove them once the incident is over. Those that were ever primary
// report the new key's promotion as their KeyInfo.Demoted.
//
// The same change made in steps (Add, Force, Disable of the primary key) is
// not safe: a ring deployed between the steps, or a key left active, opens
// forged values, and servers re-seal them under the new primary key, out of
// reach of a later Disable.
func (k *Keyring) EmergencyRotate() (id uint32, disabled []uint32, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, err := newKey(k.mat, stamp(k.clock()))
	if err != nil {
		return 0, nil, err
	}
	keys := k.clone()
	for i := range keys {
		// Their demotion is now the new key's promotion: an exposed key is
		// never to be enabled again, and the file stays at the lowest
		// version that holds the ring, for every server to load at once.
		keys[i].demoted = time.Time{}
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
	now := k.clock()
	if ready, from := readyAt(&keys[i], k.delay); !force && now.Before(ready) {
		what := "added"
		if from.After(keys[i].created) {
			what = "enabled again"
		}
		return fmt.Errorf("%w: key %d was %s at %s; promote it from %s, once every server has it active (propagation delay %v), or force it",
			errTooEarly, id, what, from.Format(time.RFC3339), ready.Format(time.RFC3339), k.delay)
	}
	// The ring implies the demotions it does not record from the primary
	// key's promotion, which is about to change: record those of the active
	// keys first. A disabled key's demotion matters only if it is enabled
	// again, and the later time the new promotion implies only delays its
	// Disable then, so the file need not grow a version for it.
	for j := range keys {
		if keys[j].state == Active && keys[j].demoted.IsZero() {
			keys[j].demoted = demotedAt(keys, &keys[j])
		}
	}
	at := stamp(now)
	// keys[0] is the primary: snapshots keep the primary first.
	keys[0].state = Active
	keys[0].demoted = at
	keys[i].state = Primary
	keys[i].promoted = at
	keys[i].demoted = time.Time{}
	// The wait is over: the enabled time holds nothing back any more, and
	// a ring without one is a version 1 file again.
	keys[i].enabled = time.Time{}
	// What the new promotion implies need not be recorded, so that after
	// a routine rotation the file stays readable by readers of version 1.
	for j := range keys {
		if j != i && !keys[j].promoted.IsZero() && keys[j].demoted.Equal(impliedDemotion(keys, &keys[i], &keys[j])) {
			keys[j].demoted = time.Time{}
		}
	}
	k.snap.Store(newSnapshot(keys))
	return nil
}

// demotedAt returns when key e of keys, a snapshot's keys with the primary
// first, last stopped being primary: zero for the primary key and for a key
// never promoted, else its recorded demotion or the one the ring implies.
func demotedAt(keys []entry, e *entry) time.Time {
	switch {
	case e.state == Primary:
		return time.Time{}
	case !e.demoted.IsZero():
		return e.demoted
	case e.promoted.IsZero():
		return time.Time{}
	}
	return impliedDemotion(keys, &keys[0], e)
}

// impliedDemotion returns when the former primary key e stopped being
// primary, as the ring implies it when it records none: when primary, the
// primary key, was promoted. Every promotion since e's demotion left a
// later promoted time, so this is the real time or after it, which only
// delays Disable. A ring written by hand may give the primary key no
// promoted time: the latest time the ring records then stands in for it.
func impliedDemotion(keys []entry, primary, e *entry) time.Time {
	t := primary.promoted
	if t.IsZero() {
		for i := range keys {
			for _, u := range [...]time.Time{keys[i].created, keys[i].promoted, keys[i].enabled} {
				if u.After(t) {
					t = u
				}
			}
		}
	}
	if e.promoted.After(t) {
		t = e.promoted
	}
	return t
}

// disableableAt returns when Disable accepts a key demoted at demoted,
// under delay and lifetime; zero for a key never demoted.
func disableableAt(demoted time.Time, delay, lifetime time.Duration) time.Time {
	if demoted.IsZero() || delay == 0 && lifetime == 0 {
		return demoted
	}
	// As in readyAt: one second for the times kept in whole seconds, and
	// Time.Add, which saturates, rather than a sum of durations, which
	// could overflow to the past.
	return demoted.Add(delay).Add(lifetime).Add(time.Second)
}

// Disable disables the active key id: it stays in the ring but opens
// nothing, so values it sealed are rejected. Disabling a disabled key does
// nothing. It returns an error matching ErrUnsafe for the primary key
// (promote another key first) and for a former primary key before its
// KeyInfo.DisableableAt, and one matching ErrUnknownKey for an ID not in
// the ring. The error says from when Disable accepts the key.
//
// A key that was primary sealed values until it was demoted, and until
// every server had loaded the ring that demoted it: they stay in use for
// up to the ring's max lifetime (see Waits), and their holders would lose
// them. A key that was never primary sealed nothing, and Disable accepts
// it at any time. Force(id, Disabled) skips the wait.
func (k *Keyring) Disable(id uint32) error {
	return k.setState(id, Disabled, false)
}

// Enable makes the disabled key id active again, so that it opens values,
// and records when (KeyInfo.Enabled, until Promote or Disable clears it):
// Promote then waits for the propagation delay from that time, as for a new
// key. The ring's file becomes version 2 or later (see "File format" in the
// package documentation), which every reader of the ring must be able to
// read. Enabling an active or primary key does nothing. It returns an error
// matching ErrUnknownKey for an ID not in the ring.
func (k *Keyring) Enable(id uint32) error {
	return k.setState(id, Active, false)
}

// setState moves key id between Active and Disabled; force skips the wait
// before disabling a former primary key.
func (k *Keyring) setState(id uint32, to State, force bool) error {
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
	now := k.clock()
	if to == Disabled && !force {
		demoted := demotedAt(keys, &keys[i])
		if at := disableableAt(demoted, k.delay, k.lifetime); now.Before(at) {
			return fmt.Errorf("%w: key %d stopped being primary at %s; disable it from %s, once the sessions it sealed have ended (propagation delay %v, max lifetime %v), or force it",
				errInUse, id, demoted.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano), k.delay, k.lifetime)
		}
	}
	keys[i].state = to
	// A disabled key has nothing to wait for; the next Enable starts the
	// wait again.
	keys[i].enabled = time.Time{}
	if to == Active {
		keys[i].enabled = stamp(now)
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
