package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

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
