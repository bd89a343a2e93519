package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

var listCommand = &command{
	name:    "list",
	args:    "[--json] FILE",
	summary: "list the keys, without their secrets, and the next step for each",
	doc: `List prints the ring's propagation delay and max lifetime, then the keys of
the ring in FILE, primary first: ID, state (primary, active or disabled), when
the key was created, when it last became primary ("-" if never), and the next
safe step of a rotation for it:

  promote from TIME   a key never primary: promote accepts it from TIME
  disable from TIME   a previous primary key: disable accepts it from TIME,
                      once the sessions it sealed have ended
  remove              a disabled key
  -                   the primary key

Times are RFC 3339, in UTC. No secret is printed.

With --json it prints an array of objects, in the same order:

  [{"id": 2847392011, "state": "primary", "created": "2026-11-25T20:00:00Z",
    "promoted": "2026-11-25T20:00:00Z", "demoted": null,
    "next": null, "next_from": null}, ...]

where promoted is null for a key never promoted, demoted is when a key last
stopped being primary (null if it never did or is primary), next is "promote",
"disable", "remove" or null, and next_from the time from which that step is
accepted (null for remove and for the primary key).
`,
	run: runList,
}

// jsonKey is one key in the output of list --json.
type jsonKey struct {
	ID       uint32  `json:"id"`
	State    string  `json:"state"`
	Created  string  `json:"created"`
	Promoted *string `json:"promoted"`
	Demoted  *string `json:"demoted"`
	Next     *string `json:"next"`
	NextFrom *string `json:"next_from"`
}

// nextStep returns the next safe step of a rotation for key k, and the
// time from which the ring accepts it (zero when at any time): "promote"
// for a key never primary, "disable" for a previous primary key, "remove"
// for a disabled key, and "" for the primary key.
func nextStep(k keyrotation.KeyInfo) (string, time.Time) {
	switch {
	case k.State == keyrotation.Primary:
		return "", time.Time{}
	case k.State == keyrotation.Disabled:
		return "remove", time.Time{}
	case k.Demoted.IsZero():
		return "promote", k.PromotableAt
	}
	return "disable", k.DisableableAt
}

// optionalTime is t formatted, or nil when it is zero.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

func runList(e *env, c *command, args []string) error {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	asJSON := flags.Bool("json", false, "print a JSON array instead of a table")
	args, err := e.parse(c, flags, args, 1)
	if err != nil {
		return err
	}
	keys, err := load(args[0])
	if err != nil {
		return err
	}
	infos := keys.Keys()
	if *asJSON {
		out := make([]jsonKey, len(infos))
		for i, k := range infos {
			out[i] = jsonKey{
				ID:       k.ID,
				State:    k.State.String(),
				Created:  formatTime(k.Created),
				Promoted: optionalTime(k.Promoted),
				Demoted:  optionalTime(k.Demoted),
			}
			if step, from := nextStep(k); step != "" {
				out[i].Next, out[i].NextFrom = &step, optionalTime(from)
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	delay, lifetime := keys.Waits()
	fmt.Fprintf(e.stdout, "propagation delay %v, max lifetime %v\n", delay, lifetime)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tPROMOTED\tNEXT")
	for _, k := range infos {
		promoted := "-"
		if !k.Promoted.IsZero() {
			promoted = formatTime(k.Promoted)
		}
		next := "-"
		switch step, from := nextStep(k); {
		case step != "" && !from.IsZero():
			next = step + " from " + formatTime(from)
		case step != "":
			next = step
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", k.ID, k.State, formatTime(k.Created), promoted, next)
	}
	return tw.Flush()
}
