package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

var initCommand = &command{
	name:    "init",
	args:    "[--force] [--propagation-delay DURATION] FILE",
	summary: "create a key ring file with one new primary key",
	doc: `Init creates the key ring file FILE, mode 0600, holding one new key: the
primary key, which seals and signs sessions. Copy FILE to every server, readable
by the servers only: anyone with a copy can open every session it sealed.

Init refuses to replace an existing FILE. --force exists for the one case where
replacing it is right: every key in FILE must go at once (the whole file leaked,
say) and no session sealed under them is worth keeping, since all of them are
lost. After a leak, sessionkeys emergency does the same and keeps the ring's
settings, and its old keys disabled, so that inspect can name them. The propagation delay is recorded in FILE: promote refuses a key added
less than that long ago (see promote -h); sessionkeys delay changes it later.
`,
	run: runInit,
}

func runInit(e *env, c *command, args []string) error {
	// The flag defaults to the delay of a new ring, which the key ring
	// owns.
	keys, err := keyrotation.Generate()
	if err != nil {
		return err
	}
	initial, _ := keys.Waits()
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	force := flags.Bool("force", false, "overwrite an existing ring: every session sealed under it is lost")
	delay := flags.Duration("propagation-delay", initial,
		"the `DURATION` after add (or enable) from which promote accepts a key:\nthe time it takes to copy FILE to every server and for them to load it.\n0 turns the check off, which only a single server can afford")
	args, err = e.parse(c, flags, args, 1)
	if err != nil {
		return err
	}
	path := args[0]
	if *delay < 0 {
		return &usageError{cmd: c, msg: fmt.Sprintf("negative --propagation-delay %v", *delay)}
	}
	if err := keys.SetPropagationDelay(*delay); err != nil {
		return err
	}
	replaced := false
	if *force {
		// Take the lock that edits take, so that an edit that loaded the
		// old ring cannot write it back over the new one.
		unlock, err := lockRing(path)
		if err != nil {
			return err
		}
		defer unlock()
		_, err = os.Lstat(path)
		replaced = err == nil
	} else {
		// Creating FILE exclusively, rather than checking that it does not
		// exist, leaves no moment in which a ring created concurrently
		// could be overwritten. WriteFile then replaces the empty file.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists: a new ring would replace its keys, and every session sealed under them would be lost (--force overwrites it)", path)
		}
		if err != nil {
			return err
		}
		f.Close()
	}
	if err := keys.WriteFile(path); err != nil {
		if !*force {
			os.Remove(path) // the empty file created above
		}
		return err
	}
	if replaced {
		fmt.Fprintf(e.stdout, "replaced %s with a new ring: sessions sealed under its old keys are lost\n", path)
	}
	fmt.Fprintf(e.stdout, "created %s with primary key %d (propagation delay %v)\n", path, keys.Keys()[0].ID, *delay)
	fmt.Fprintf(e.stdout, "next: copy %s to every server, readable by the servers only\n", path)
	return nil
}

var addCommand = &command{
	name:    "add",
	args:    "FILE",
	summary: "add a new active key (step 1 of a rotation)",
	doc: `Add adds a new key to the ring in FILE, in state active: servers can open
sessions sealed under it, none seals with it yet. It prints the key's ID and the
earliest time promote accepts it: its creation time plus the ring's propagation
delay. Copy FILE to every server meanwhile.
`,
	run: runAdd,
}

func runAdd(e *env, c *command, args []string) error {
	args, err := e.parse(c, flag.NewFlagSet(c.name, flag.ContinueOnError), args, 1)
	if err != nil {
		return err
	}
	path := args[0]
	var id uint32
	var when string
	err = modify(path, func(keys *keyrotation.Keyring) (bool, error) {
		if id, err = keys.Add(); err != nil {
			return false, err
		}
		when, err = promotableFrom(keys, id)
		return true, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added active key %d\n", id)
	fmt.Fprintf(e.stdout, "next: copy %s to every server; promote the key %s:\n  sessionkeys promote %s %d\n",
		path, when, path, id)
	return nil
}

// promotableFrom says when promote accepts key id of keys, as "from TIME
// (propagation delay DURATION)", for the commands that start the wait.
func promotableFrom(keys *keyrotation.Keyring, id uint32) (string, error) {
	info, ok := keyInfo(keys, id)
	if !ok {
		return "", fmt.Errorf("no key %d in the ring", id)
	}
	delay, _ := keys.Waits()
	return fmt.Sprintf("from %s (propagation delay %v)", formatTime(info.PromotableAt), delay), nil
}

var promoteCommand = &command{
	name:    "promote",
	args:    "[--force] FILE ID",
	summary: "make a key the primary key (step 2 of a rotation)",
	doc: `Promote makes key ID the primary key, which seals new sessions; the previous
primary key becomes active, so the sessions it sealed still open. Servers re-seal
the sessions in use under the new key as they serve them.

Promote refuses, and says why, a disabled key and a key added less than the
ring's propagation delay ago: a server that has not loaded the key yet rejects
every session sealed under it. Copy FILE to every server after promoting.

--force skips the propagation delay, and nothing else: you accept that servers
without the new key reject the sessions sealed under it until they load the
ring, so copy FILE everywhere at once:

  sessionkeys promote --force FILE ID

It is not the answer to a leak: the previous primary key stays active, and a
leaked FILE exposes every key in it, so forged sessions would still open and be
re-sealed under the new key. After a leak, run instead:

  sessionkeys emergency FILE
`,
	run: runPromote,
}

func runPromote(e *env, c *command, args []string) error {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	force := flags.Bool("force", false, "promote a key added less than the propagation delay ago; not\nfor a leak (see above)")
	args, err := e.parse(c, flags, args, 2)
	if err != nil {
		return err
	}
	path := args[0]
	id, err := parseID(c, args[1])
	if err != nil {
		return err
	}
	var previous uint32
	var from keyrotation.State // the key's state before, zero when the ring has no such key
	var whenDisable string     // when disable accepts the previous primary key
	already := false
	err = modify(path, func(keys *keyrotation.Keyring) (bool, error) {
		previous = keys.Keys()[0].ID
		if previous == id {
			already = true
			return false, nil
		}
		if info, ok := keyInfo(keys, id); ok {
			from = info.State
		}
		if *force {
			err = keys.Force(id, keyrotation.Primary)
		} else {
			err = keys.Promote(id)
		}
		if err != nil {
			return false, err
		}
		whenDisable, err = disableFrom(keys, previous)
		return true, err
	})
	switch {
	case errors.Is(err, keyrotation.ErrUnsafe) && from == keyrotation.Active:
		// Promote refuses an active key only before the propagation delay.
		return &hintError{err, fmt.Sprintf("--force skips the propagation delay (see sessionkeys promote -h); after a leak, run sessionkeys emergency %s instead", path)}
	case err != nil:
		return err
	case already:
		fmt.Fprintf(e.stdout, "key %d is already the primary key; nothing changed\n", id)
		return nil
	}
	fmt.Fprintf(e.stdout, "promoted key %d to primary; key %d, the previous primary, is now active, so the sessions it sealed still open\n", id, previous)
	if *force {
		fmt.Fprintf(e.stdout, "forced: copy %s to every server now; until a server loads it, that server rejects the sessions sealed under key %d\n", path, id)
		fmt.Fprintf(e.stdout, "after a leak this is not enough: key %d still opens, and a leaked ring file exposes every key in it; run sessionkeys emergency %s\n", previous, path)
		fmt.Fprintf(e.stdout, "once the sessions key %d sealed have ended, disable it %s\n", previous, whenDisable)
		return nil
	}
	fmt.Fprintf(e.stdout, "next: copy %s to every server; once the sessions key %d sealed have ended, disable it %s:\n  sessionkeys disable %s %d\n",
		path, previous, whenDisable, path, previous)
	return nil
}

// disableFrom says when disable accepts key id of keys, as "from TIME
// (propagation delay DURATION + max lifetime DURATION)", for the commands
// that start the wait.
func disableFrom(keys *keyrotation.Keyring, id uint32) (string, error) {
	info, ok := keyInfo(keys, id)
	if !ok {
		return "", fmt.Errorf("no key %d in the ring", id)
	}
	delay, lifetime := keys.Waits()
	return fmt.Sprintf("from %s (propagation delay %v + max lifetime %v)", formatTime(info.DisableableAt), delay, lifetime), nil
}

var emergencyCommand = &command{
	name:    "emergency",
	args:    "FILE",
	summary: "after FILE leaked: a new primary key, every other key disabled",
	doc: `Emergency is the answer to a leak of the ring: FILE, a copy or a backup of it,
or the environment variable that holds it. A leaked ring exposes every key in it,
not only the primary one: in the middle of a rotation the previous primary key,
still active, and a new key being propagated open forged sessions just as well.

In one change, emergency adds a new key, makes it primary without waiting the
propagation delay, and disables every other key, and prints what it disabled.
Copy FILE to every server at once. From the moment a server loads it, no session
sealed or signed under an exposed key opens there, forged or genuine: every user
gets a fresh session, once. Until then that server still accepts the exposed
keys, and rejects sessions other servers sealed under the new key.

The disabled keys stay exposed for good: never enable them again. Remove them
once the incident is over. Inspect still names the key that sealed a token.

  sessionkeys emergency FILE
`,
	run: runEmergency,
}

func runEmergency(e *env, c *command, args []string) error {
	args, err := e.parse(c, flag.NewFlagSet(c.name, flag.ContinueOnError), args, 1)
	if err != nil {
		return err
	}
	path := args[0]
	var before []keyrotation.KeyInfo
	var id uint32
	err = modify(path, func(keys *keyrotation.Keyring) (bool, error) {
		before = keys.Keys()
		id, _, err = keys.EmergencyRotate()
		return true, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "emergency rotation of %s: new primary key %d\n", path, id)
	for _, k := range before {
		if k.State == keyrotation.Disabled {
			fmt.Fprintf(e.stdout, "key %d was already disabled\n", k.ID)
		} else {
			fmt.Fprintf(e.stdout, "disabled key %d (was %s)\n", k.ID, k.State)
		}
	}
	fmt.Fprintf(e.stdout, "next: copy %s to every server at once; a server that loads it refuses every session sealed or signed under the keys above, and until then rejects those sealed under key %d\n", path, id)
	fmt.Fprintf(e.stdout, "never enable the keys above again: their secrets are exposed; remove them once the incident is over:\n")
	for _, k := range before {
		fmt.Fprintf(e.stdout, "  sessionkeys remove %s %d\n", path, k.ID)
	}
	return nil
}

var disableCommand = &command{
	name:    "disable",
	args:    "[--force] FILE ID",
	summary: "stop a key from opening sessions (step 3 of a rotation)",
	doc: `Disable disables key ID: it stays in the ring but opens nothing, so the
sessions it sealed are rejected once the servers load FILE; their users get a
fresh session. Enable undoes it.

Disable refuses the primary key (promote another key first), and a previous
primary key until the sessions it sealed have ended: until the propagation
delay (servers that had not loaded the promotion kept sealing with it) and then
the ring's max lifetime (see sessionkeys lifetime) have passed since it stopped
being primary. It says from when it accepts the key; so do promote and list. A
key that was never primary sealed nothing, and disable accepts it at once.

--force skips that wait, and nothing else: the users whose sessions the key
sealed, and were not re-sealed since, are logged out. It prints when the wait
would have ended:

  sessionkeys disable --force FILE ID

After a leak, disabling one key is not enough: run sessionkeys emergency FILE.
`,
	run: runDisable,
}

func runDisable(e *env, c *command, args []string) error {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	force := flags.Bool("force", false, "disable a previous primary key before the sessions it sealed\nhave ended: their users are logged out")
	args, err := e.parse(c, flags, args, 2)
	if err != nil {
		return err
	}
	path := args[0]
	id, err := parseID(c, args[1])
	if err != nil {
		return err
	}
	var info keyrotation.KeyInfo // the key before the change; zero State when the ring has no such key
	var forced bool              // --force overrode the wait
	err = modify(path, func(keys *keyrotation.Keyring) (bool, error) {
		info, _ = keyInfo(keys, id)
		err := keys.Disable(id)
		if *force && errors.Is(err, keyrotation.ErrUnsafe) && info.State == keyrotation.Active {
			// The only reason Disable refuses an active key is the wait.
			forced = true
			err = keys.Force(id, keyrotation.Disabled)
		}
		return err == nil && info.State != keyrotation.Disabled, err
	})
	switch {
	case errors.Is(err, keyrotation.ErrUnsafe) && info.State == keyrotation.Primary:
		return &hintError{err, "promote another key first, and wait until the sessions this one sealed have ended before disabling it"}
	case errors.Is(err, keyrotation.ErrUnsafe) && info.State == keyrotation.Active:
		return &hintError{err, "--force disables it now, and logs out the users whose sessions it sealed and were not re-sealed since (see sessionkeys disable -h)"}
	case err != nil:
		return err
	case info.State == keyrotation.Disabled:
		fmt.Fprintf(e.stdout, "key %d is already disabled; nothing changed\n", id)
		return nil
	}
	fmt.Fprintf(e.stdout, "disabled key %d: sessions sealed under it are rejected once the servers load %s\n", id, path)
	if forced {
		fmt.Fprintf(e.stdout, "forced: disable would have been safe from %s; until then, users whose sessions key %d sealed, and were not re-sealed since, are logged out\n",
			formatTime(info.DisableableAt), id)
	}
	fmt.Fprintf(e.stdout, "next: copy %s to every server; later, remove the key (sessionkeys remove %s %d), or undo with sessionkeys enable %s %d\n", path, path, id, path, id)
	return nil
}

var enableCommand = &command{
	name:    "enable",
	args:    "FILE ID",
	summary: "let a disabled key open sessions again",
	doc: `Enable makes the disabled key ID active again, so that the sessions it sealed
open again once the servers load FILE. It undoes disable. Servers that still
have the key disabled reject what it seals, so promote waits the propagation
delay again, counted from enable; enable prints until when.

Enable records when, which makes FILE a version 2 ring file (or 3) until the
key is promoted or disabled: every server that loads FILE must run a release
that reads version 2 before you enable a key (see the keyrotation package
documentation, "File format").
`,
	run: runEnable,
}

var delayCommand = &command{
	name:    "delay",
	args:    "FILE DURATION",
	summary: "set the propagation delay that promote waits for",
	doc: `Delay records DURATION in FILE as the propagation delay: promote accepts a key
only that long after it was added (or enabled again). Set it to the time it
takes to copy FILE to every server plus the servers' watch interval, as a Go
duration such as 15m or 2h. 0 turns the check off, which only a single server
can afford.
`,
	run: runDelay,
}

func runDelay(e *env, c *command, args []string) error {
	// SetPropagationDelay refuses a negative duration, and says so.
	return setDuration(e, c, args, "15m or 2h", (*keyrotation.Keyring).SetPropagationDelay,
		"propagation delay of %s set to %v: promote accepts a key that long after it was added or enabled\n")
}

// setDuration parses the FILE DURATION arguments of a command without
// flags, records the duration in FILE with set, and prints done with the
// file and the duration.
func setDuration(e *env, c *command, args []string, examples string, set func(*keyrotation.Keyring, time.Duration) error, done string) error {
	args, err := e.parse(c, flag.NewFlagSet(c.name, flag.ContinueOnError), args, 2)
	if err != nil {
		return err
	}
	path := args[0]
	d, err := time.ParseDuration(args[1])
	if err != nil {
		return &usageError{cmd: c, msg: fmt.Sprintf("invalid DURATION %q: want a non-negative duration such as %s", args[1], examples)}
	}
	if err := modify(path, func(keys *keyrotation.Keyring) (bool, error) {
		return true, set(keys, d)
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, done, path, d)
	return nil
}

var lifetimeCommand = &command{
	name:    "lifetime",
	args:    "FILE DURATION",
	summary: "set the max session lifetime that disable waits for",
	doc: `Lifetime records DURATION in FILE as the ring's max lifetime: the longest a
session sealed under a key lives. Disable accepts a previous primary key only
once the propagation delay plus the max lifetime have passed since it stopped
being primary. Set it to at least the longest MaxLifetime of the session Managers
that use the ring, as a Go duration such as 168h (7 days, the default, which is
the Manager's default Lifetime) or 720h. 0 leaves only the propagation delay.

Recording it makes FILE a version 3 ring file: every server that loads FILE
must run a release that reads version 3 before you set it (see the keyrotation
package documentation, "File format").
`,
	run: runLifetime,
}

func runLifetime(e *env, c *command, args []string) error {
	// SetMaxLifetime refuses a negative duration, and says so.
	return setDuration(e, c, args, "168h or 720h", (*keyrotation.Keyring).SetMaxLifetime,
		"max lifetime of %s set to %v: disable accepts a previous primary key that long after the propagation delay since it stopped being primary\n")
}

// modifyKey parses the FILE ID arguments of a command without flags and
// changes key ID in FILE with f, which also gets the key's state before the
// change (zero when the ring has no such key). It returns the arguments and
// that state.
func modifyKey(e *env, c *command, args []string, f func(keys *keyrotation.Keyring, id uint32, from keyrotation.State) (bool, error)) (path string, id uint32, from keyrotation.State, err error) {
	args, err = e.parse(c, flag.NewFlagSet(c.name, flag.ContinueOnError), args, 2)
	if err != nil {
		return "", 0, 0, err
	}
	path = args[0]
	if id, err = parseID(c, args[1]); err != nil {
		return "", 0, 0, err
	}
	err = modify(path, func(keys *keyrotation.Keyring) (bool, error) {
		if info, ok := keyInfo(keys, id); ok {
			from = info.State
		}
		return f(keys, id, from)
	})
	return path, id, from, err
}

// runEnable runs enable.
func runEnable(e *env, c *command, args []string) error {
	var when string // when promote accepts the key again
	path, id, from, err := modifyKey(e, c, args, func(keys *keyrotation.Keyring, id uint32, from keyrotation.State) (bool, error) {
		if err := keys.Enable(id); err != nil || from != keyrotation.Disabled {
			return false, err
		}
		var err error
		when, err = promotableFrom(keys, id)
		return true, err
	})
	switch {
	case err != nil:
		return err
	case from != keyrotation.Disabled:
		fmt.Fprintf(e.stdout, "key %d is already %s; nothing changed\n", id, from)
	default:
		fmt.Fprintf(e.stdout, "enabled key %d: it is active, and opens the sessions it sealed once the servers load %s\n", id, path)
		fmt.Fprintf(e.stdout, "next: copy %s to every server; promote accepts the key again %s\n", path, when)
	}
	return nil
}

var removeCommand = &command{
	name:    "remove",
	args:    "FILE ID",
	summary: "delete a disabled key and its secret (step 4 of a rotation)",
	doc: `Remove deletes key ID, and its secret, from the ring for good: once FILE is
copied to every server, the sessions it sealed can be opened only with an older
copy of the ring.

Remove refuses a key that is not disabled: disable it first, a step that can be
undone, and remove it once nothing has gone wrong.
`,
	run: runRemove,
}

func runRemove(e *env, c *command, args []string) error {
	path, id, from, err := modifyKey(e, c, args, func(keys *keyrotation.Keyring, id uint32, _ keyrotation.State) (bool, error) {
		return true, keys.Remove(id)
	})
	switch {
	case errors.Is(err, keyrotation.ErrUnsafe) && from == keyrotation.Primary:
		return &hintError{err, "promote another key first; then disable this one once the sessions it sealed have ended"}
	case err != nil:
		return err
	}
	fmt.Fprintf(e.stdout, "removed key %d and its secret from %s\nnext: copy %s to every server\n", id, path, path)
	return nil
}
