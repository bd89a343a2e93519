package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one subcommand. Its help, printed by -h, is its usage line,
// doc and flags.
type command struct {
	name    string
	args    string // the argument synopsis
	summary string // one line for the overview
	doc     string // the rest of -h, ending in a newline
	run     func(e *env, c *command, args []string) error
}

// commands lists the commands in the order of the overview.
var commands = []*command{
	initCommand, addCommand, promoteCommand, disableCommand, enableCommand,
	removeCommand, emergencyCommand, delayCommand, lifetimeCommand, listCommand, inspectCommand, rewrapCommand,
}

// env is what a command writes to, and its clock.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
}

// usageError is a command line that cannot be run: exit code 2.
type usageError struct {
	cmd *command // nil for the top level
	msg string
}

func (e *usageError) Error() string { return e.msg }

// hintError is an error with advice, which run prints on a line of its own.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// errHelp reports that help was printed as asked: exit code 0.
var errHelp = flag.ErrHelp

// run runs the command line args (without the program name) and returns the
// exit code: 0 on success, 1 on failure, 2 for a command line that cannot be
// run.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, now: time.Now}
	if len(args) == 0 {
		overview(stderr)
		return exitUsage
	}
	name := args[0]
	var err error
	switch name {
	case "help", "-h", "-help", "--help":
		err = help(e, args[1:])
	default:
		c := lookup(name)
		if c == nil {
			err = &usageError{msg: fmt.Sprintf("unknown command %q", name)}
			if strings.HasPrefix(name, "-") {
				err = &usageError{msg: fmt.Sprintf("flag %s before the command: flags follow the command name, as in sessionkeys promote --force FILE ID", name)}
			}
			break
		}
		err = c.run(e, c, args[1:])
	}
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ue):
		if ue.cmd != nil {
			fmt.Fprintf(stderr, "sessionkeys: %s: %s\n", ue.cmd.name, ue.msg)
			fmt.Fprintf(stderr, "usage: sessionkeys %s %s\nRun 'sessionkeys %s -h' for help.\n", ue.cmd.name, ue.cmd.args, ue.cmd.name)
		} else {
			fmt.Fprintf(stderr, "sessionkeys: %s\nRun 'sessionkeys help' for usage.\n", ue.msg)
		}
		return exitUsage
	default:
		fmt.Fprintf(stderr, "sessionkeys: %s: %v\n", name, err)
		var he *hintError
		if errors.As(err, &he) {
			fmt.Fprintf(stderr, "sessionkeys: %s: %s\n", name, he.hint)
		}
		return exitFailure
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// help prints the overview, or the help of the command named in args.
func help(e *env, args []string) error {
	switch len(args) {
	case 0:
		overview(e.stdout)
		return nil
	case 1:
		if c := lookup(args[0]); c != nil {
			return c.run(e, c, []string{"-h"})
		}
		return &usageError{msg: fmt.Sprintf("help: unknown command %q", args[0])}
	}
	return &usageError{msg: "help: too many arguments: usage: sessionkeys help [COMMAND]"}
}

func overview(w io.Writer) {
	fmt.Fprint(w, `sessionkeys manages a sessionseal key ring file: the keys that seal and
sign session cookies, and their rotation across a fleet of servers.

usage: sessionkeys COMMAND [flags] ARGS...

commands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.name, c.summary)
	}
	fmt.Fprint(w, `
Flags come after the command name, anywhere among the other arguments, as in
sessionkeys promote --force FILE ID; -- ends them. Run 'sessionkeys COMMAND -h' (or
'sessionkeys help COMMAND') for a command's details.

Routine rotation, copying FILE to every server after each change:
  add → copy → wait the propagation delay → promote → copy →
  wait the propagation delay and the max lifetime → disable the old key → copy → remove
promote and disable refuse to go before their wait is over; --force overrides.
Emergency rotation when FILE leaked (a copy of it exposes every key in it):
  sessionkeys emergency FILE → copy FILE to every server at once

Exit status: 0 on success, 1 when a command fails or refuses an unsafe
step, 2 for a command line that cannot be run.
`)
}

// parse parses the flags of c, which fs holds, and returns exactly n
// positional arguments. Flags may come before, between or after the
// arguments; "--" ends them. It prints c's help for -h and --help.
func (e *env) parse(c *command, fs *flag.FlagSet, args []string, n int) ([]string, error) {
	fs.SetOutput(io.Discard) // errors are reported by run, help by printHelp
	fs.Usage = func() {}
	args, after := splitFlags(fs, args)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(e.stdout, c, fs)
				return nil, errHelp
			}
			return nil, &usageError{cmd: c, msg: err.Error()}
		}
		// The flag package stops at the first argument that is not a
		// flag: take it, and parse on.
		left := fs.Args()
		if len(left) == 0 {
			break
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
	rest = append(rest, after...)
	switch {
	case len(rest) < n:
		return nil, &usageError{cmd: c, msg: fmt.Sprintf("want %d argument%s, got %d", n, plural(n), len(rest))}
	case len(rest) > n:
		return nil, &usageError{cmd: c, msg: fmt.Sprintf("too many arguments: want %d, got %d", n, len(rest))}
	}
	return rest, nil
}

// splitFlags splits args at the "--" that ends the flags, if any: the
// arguments after it are never flags. A "--" that is the value of a flag,
// as in --cookie-name --, does not count.
func splitFlags(fs *flag.FlagSet, args []string) (flags, after []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return args[:i], args[i+1:]
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok || name == "" || strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(strings.TrimPrefix(name, "-"))
		if f == nil {
			continue
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			i++ // its value follows
		}
	}
	return args, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// printHelp prints c's usage line, doc and flags, the flags with two
// dashes (the flag package accepts one or two).
func printHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: sessionkeys %s %s\n\n%s", c.name, c.args, c.doc)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nflags:\n")
			first = false
		}
		arg, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		fmt.Fprintf(w, "%s\n    \t%s", head, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseID parses a key ID argument.
func parseID(c *command, s string) (uint32, error) {
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil || id == 0 {
		return 0, &usageError{cmd: c, msg: fmt.Sprintf("invalid key ID %q: want an integer from 1 to 4294967295, as sessionkeys list shows", s)}
	}
	return uint32(id), nil
}

// formatTime formats a time for people and for --json: RFC 3339 in UTC,
// with fractions of a second only when the time has them.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
