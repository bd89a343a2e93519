package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
)

var listCommand = &command{
	name:    "list",
	args:    "[--json] FILE",
	summary: "list the keys of a ring, without their secrets",
	doc: `List prints the keys of the ring in FILE, primary first: ID, state (primary,
active or disabled), when the key was created, and when it last became primary
("-" if never). Times are RFC 3339, in UTC. No secret is printed.

With --json it prints an array of objects, in the same order:

  [{"id": 2847392011, "state": "primary", "created": "2026-11-25T20:00:00Z",
    "promoted": "2026-11-25T20:00:00Z"}, ...]

where promoted is null for a key never promoted.
`,
	run: runList,
}

// jsonKey is one key in the output of list --json.
type jsonKey struct {
	ID       uint32  `json:"id"`
	State    string  `json:"state"`
	Created  string  `json:"created"`
	Promoted *string `json:"promoted"`
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
			out[i] = jsonKey{ID: k.ID, State: k.State.String(), Created: formatTime(k.Created)}
			if !k.Promoted.IsZero() {
				p := formatTime(k.Promoted)
				out[i].Promoted = &p
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tCREATED\tPROMOTED")
	for _, k := range infos {
		promoted := "-"
		if !k.Promoted.IsZero() {
			promoted = formatTime(k.Promoted)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", k.ID, k.State, formatTime(k.Created), promoted)
	}
	return tw.Flush()
}
