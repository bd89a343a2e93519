package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/mongotest"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/mongostore"
	"github.com/sessionseal/session/serverstore"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Run(m)) }

var (
	ctx   = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)

// result is what one run of the command printed.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs the command line args and checks that nothing it printed holds
// a secret of the rings in files (read before and after the run, so that a
// removed key counts too).
func cli(t *testing.T, files []string, args ...string) result {
	t.Helper()
	secrets := secretsOf(t, files)
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	r := result{code, stdout.String(), stderr.String()}
	for s := range secretsOf(t, files) {
		secrets[s] = true
	}
	for s := range secrets {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("sessionkeys %s printed a key secret (%.8s...)", strings.Join(args, " "), s)
		}
	}
	return r
}

// secretsOf returns the secrets of the key ring files that exist, in every
// encoding a careless printer might use.
func secretsOf(t *testing.T, files []string) map[string]bool {
	t.Helper()
	secrets := make(map[string]bool)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) || len(data) == 0 {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var ring struct {
			Keys []struct {
				Secret string `json:"secret"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(data, &ring); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, k := range ring.Keys {
			raw, err := base64.StdEncoding.DecodeString(k.Secret)
			if err != nil || len(raw) != 32 {
				t.Fatalf("%s: malformed secret", f)
			}
			secrets[k.Secret] = true
			secrets[base64.RawStdEncoding.EncodeToString(raw)] = true
			secrets[base64.RawURLEncoding.EncodeToString(raw)] = true
			secrets[hex.EncodeToString(raw)] = true
		}
	}
	return secrets
}

// TestRotation runs a whole rotation, refused steps included, on one file.
// In args, FILE stands for the ring's path, OLD for the first primary key
// and NEW for the key that add creates.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.json")
	vars := map[string]string{"FILE": file}
	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of stdout
		stderr []string // substrings of stderr
		check  func(t *testing.T, keys *keyrotation.Keyring)
	}{
		{
			name: "init", args: []string{"init", "FILE"},
			stdout: []string{"created", "primary key", "propagation delay 1h0m0s"},
			check: func(t *testing.T, keys *keyrotation.Keyring) {
				fi, err := os.Stat(file)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("mode = %v, want 0600", got)
				}
				if n := len(keys.Keys()); n != 1 {
					t.Errorf("keys = %d, want 1", n)
				}
				if got, want := propagationDelay(keys), time.Hour; got != want {
					t.Errorf("propagation delay = %v, want %v", got, want)
				}
			},
		},
		{
			name: "init refuses an existing file", args: []string{"init", "FILE"},
			code: 1, stderr: []string{"sessionkeys: init:", "already exists", "--force"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Primary}, vars),
		},
		{
			name: "add", args: []string{"add", "FILE"},
			stdout: []string{"added active key NEW", "promote the key from", "propagation delay 1h0m0s"},
			check:  wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Primary, "NEW": keyrotation.Active}, vars),
		},
		{
			name: "promote too early", args: []string{"promote", "FILE", "NEW"},
			code: 1, stderr: []string{"sessionkeys: promote:", "not yet propagated", "propagation delay 1h0m0s", "--force"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Primary, "NEW": keyrotation.Active}, vars),
		},
		{
			name: "promote --force after the arguments", args: []string{"promote", "FILE", "NEW", "--force"},
			stdout: []string{"promoted key NEW to primary", "key OLD, the previous primary, is now active", "forced"},
			check:  wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "promote the primary", args: []string{"promote", "FILE", "NEW"},
			stdout: []string{"already the primary key"},
			check:  wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "disable the primary", args: []string{"disable", "FILE", "NEW"},
			code: 1, stderr: []string{"sessionkeys: disable:", "cannot disable the primary key NEW", "promote another key first"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "remove an active key", args: []string{"remove", "FILE", "OLD"},
			code: 1, stderr: []string{"sessionkeys: remove:", "cannot remove the active key OLD: disable it first"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "remove the primary", args: []string{"remove", "FILE", "NEW"},
			code: 1, stderr: []string{"cannot remove the primary key NEW", "promote another key first"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "disable too early", args: []string{"disable", "FILE", "OLD"},
			code: 1, stderr: []string{"sessionkeys: disable:", "sessions sealed under the key may still be in use", "disable it from", "max lifetime 168h0m0s", "--force"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "disable --force", args: []string{"disable", "--force", "FILE", "OLD"},
			stdout: []string{"disabled key OLD", "forced: disable would have been safe from", "sessionkeys enable FILE OLD"},
			check:  wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Disabled, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "disable again", args: []string{"disable", "FILE", "OLD"},
			stdout: []string{"already disabled"},
		},
		{
			name: "promote a disabled key", args: []string{"promote", "--force", "FILE", "OLD"},
			code: 1, stderr: []string{"cannot promote the disabled key OLD: enable it first"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Disabled, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "enable", args: []string{"enable", "FILE", "OLD"},
			stdout: []string{"enabled key OLD", "promote accepts the key again from", "(propagation delay 1h0m0s)"},
			check:  wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "enable an active key", args: []string{"enable", "FILE", "OLD"},
			stdout: []string{"already active"},
		},
		{
			name: "disable once more, still too early", args: []string{"disable", "FILE", "OLD"},
			code: 1, stderr: []string{"sessions sealed under the key may still be in use"},
			check: wantKeys(map[string]keyrotation.State{"OLD": keyrotation.Active, "NEW": keyrotation.Primary}, vars),
		},
		{
			name: "disable --force once more", args: []string{"disable", "FILE", "OLD", "--force"},
			stdout: []string{"disabled key OLD", "forced"},
		},
		{
			name: "remove", args: []string{"remove", "FILE", "OLD"},
			stdout: []string{"removed key OLD"},
			check:  wantKeys(map[string]keyrotation.State{"NEW": keyrotation.Primary}, vars),
		},
		{
			name: "remove an unknown key", args: []string{"remove", "FILE", "OLD"},
			code: 1, stderr: []string{"unknown key id OLD"},
		},
		{
			name: "init --force", args: []string{"init", "--force", "--propagation-delay", "15m", "FILE"},
			stdout: []string{"replaced", "created", "propagation delay 15m0s"},
			check: func(t *testing.T, keys *keyrotation.Keyring) {
				if got := propagationDelay(keys); got != 15*time.Minute {
					t.Errorf("propagation delay = %v, want 15m", got)
				}
				if info := keys.Keys(); len(info) != 1 || strconv.Itoa(int(info[0].ID)) == vars["NEW"] {
					t.Errorf("keys = %+v, want one new key", info)
				}
			},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			args := make([]string, len(st.args))
			for i, a := range st.args {
				args[i] = expand(a, vars)
			}
			r := cli(t, []string{file}, args...)
			if r.code != st.code {
				t.Fatalf("sessionkeys %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, st.code, r.stdout, r.stderr)
			}
			if vars["OLD"] == "" || vars["NEW"] == "" {
				keys := loadRing(t, file)
				for _, k := range keys.Keys() {
					id := strconv.FormatUint(uint64(k.ID), 10)
					switch {
					case vars["OLD"] == "":
						vars["OLD"] = id
					case vars["NEW"] == "" && id != vars["OLD"]:
						vars["NEW"] = id
					}
				}
			}
			for _, want := range st.stdout {
				if want = expand(want, vars); !strings.Contains(r.stdout, want) {
					t.Errorf("stdout = %q, want it to contain %q", r.stdout, want)
				}
			}
			for _, want := range st.stderr {
				if want = expand(want, vars); !strings.Contains(r.stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
				}
			}
			if st.code == 0 && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
			if st.code != 0 && !strings.HasPrefix(r.stderr, "sessionkeys: ") {
				t.Errorf("stderr = %q, want the prefix sessionkeys:", r.stderr)
			}
			if st.check != nil {
				st.check(t, loadRing(t, file))
			}
		})
	}
}

// expand replaces the names of vars in s with their values.
func expand(s string, vars map[string]string) string {
	for k, v := range vars {
		if v != "" {
			s = strings.ReplaceAll(s, k, v)
		}
	}
	return s
}

// wantKeys checks that the ring holds exactly the keys named (by their
// names in vars) in the given states.
func wantKeys(want map[string]keyrotation.State, vars map[string]string) func(*testing.T, *keyrotation.Keyring) {
	return func(t *testing.T, keys *keyrotation.Keyring) {
		t.Helper()
		got := make(map[string]keyrotation.State)
		for _, k := range keys.Keys() {
			got[strconv.FormatUint(uint64(k.ID), 10)] = k.State
		}
		wantIDs := make(map[string]keyrotation.State)
		for name, st := range want {
			wantIDs[vars[name]] = st
		}
		if len(got) != len(wantIDs) {
			t.Errorf("keys = %v, want %v", got, wantIDs)
		}
		for id, st := range wantIDs {
			if got[id] != st {
				t.Errorf("key %s: state %v, want %v (keys %v)", id, got[id], st, got)
			}
		}
	}
}

// propagationDelay returns the propagation delay of keys.
func propagationDelay(keys *keyrotation.Keyring) time.Duration {
	d, _ := keys.Waits()
	return d
}

func loadRing(t *testing.T, path string) *keyrotation.Keyring {
	t.Helper()
	keys, err := keyrotation.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// newRing writes a new ring to a file in a temporary directory.
func newRing(t *testing.T) (*keyrotation.Keyring, string) {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := keys.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return keys, path
}

func TestUsage(t *testing.T) {
	_, file := newRing(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring, when not ""
		stderr string
	}{
		{name: "no arguments", args: nil, code: 2, stderr: "commands:\n  init"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "rewrap    re-seal"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "commands:"},
		{name: "help command", args: []string{"help", "promote"}, code: 0, stdout: "usage: sessionkeys promote [--force]"},
		{name: "help unknown", args: []string{"help", "frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `sessionkeys: unknown command "frobnicate"`},
		{name: "flag before command", args: []string{"--force", "promote", file, "1"}, code: 2, stderr: "flags follow the command name"},
		{name: "-h", args: []string{"add", "-h"}, code: 0, stdout: "usage: sessionkeys add FILE"},
		{name: "--help after command", args: []string{"inspect", "--help"}, code: 0, stdout: "--cookie-name NAME"},
		{name: "promote documents force", args: []string{"promote", "--help"}, code: 0, stdout: "sessionkeys promote --force FILE ID"},
		{name: "init documents force", args: []string{"init", "-h"}, code: 0, stdout: "overwrite an existing ring: every session sealed under it is lost"},
		{name: "disable documents force", args: []string{"help", "disable"}, code: 0, stdout: "sessionkeys disable --force FILE ID"},
		{name: "help lists lifetime", args: []string{"help"}, code: 0, stdout: "lifetime  set the max session lifetime that disable waits for"},
		{name: "help shows the disable wait", args: []string{"help"}, code: 0, stdout: "wait the propagation delay and the max lifetime → disable the old key"},
		{name: "missing argument", args: []string{"promote", file}, code: 2, stderr: "want 2 arguments, got 1"},
		{name: "extra argument", args: []string{"list", file, file}, code: 2, stderr: "too many arguments"},
		{name: "unknown flag", args: []string{"list", "--yaml", file}, code: 2, stderr: "flag provided but not defined: -yaml"},
		{name: "bad ID", args: []string{"disable", file, "abc"}, code: 2, stderr: `invalid key ID "abc"`},
		{name: "ID 0", args: []string{"disable", file, "0"}, code: 2, stderr: `invalid key ID "0"`},
		{name: "ID too large", args: []string{"disable", file, "4294967296"}, code: 2, stderr: "invalid key ID"},
		{name: "flag after arguments", args: []string{"list", file, "--json"}, code: 0, stdout: `"state": "primary"`},
		{name: "-- ends the flags", args: []string{"list", "--", file, "--json"}, code: 2, stderr: "too many arguments"},
		{name: "-- as a flag value", args: []string{"inspect", "--cookie-name", "--", file, "--cookie-name=x", "AAAA"}, code: 1, stderr: "inspect"},
		{name: "unknown flag", args: []string{"list", "--frob", file}, code: 2, stderr: "flag provided but not defined: -frob"},
		{name: "missing file", args: []string{"list", file + ".missing"}, code: 1, stderr: "does not exist"},
		{name: "negative delay", args: []string{"init", "--propagation-delay", "-1h", file + ".new"}, code: 2, stderr: "negative --propagation-delay"},
		{name: "rewrap without a server", args: []string{"rewrap", "--mongodb-uri", "", "--db", "d", "--collection", "c", file}, code: 2, stderr: "--mongodb-uri"},
		{name: "delay not a duration", args: []string{"delay", file, "soon"}, code: 2, stderr: `invalid DURATION "soon"`},
		{name: "delay missing", args: []string{"delay", file}, code: 2, stderr: "want 2 arguments, got 1"},
		{name: "lifetime not a duration", args: []string{"lifetime", file, "7d"}, code: 2, stderr: `invalid DURATION "7d"`},
		{name: "rewrap without db", args: []string{"rewrap", "--mongodb-uri", "mongodb://127.0.0.1:1", "--collection", "c", file}, code: 2, stderr: "--db is required"},
		{name: "rewrap without collection", args: []string{"rewrap", "--mongodb-uri", "mongodb://127.0.0.1:1", "--db", "d", file}, code: 2, stderr: "--collection is required"},
	}
	t.Setenv("MONGODB_URI", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, []string{file}, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.stderr)
			}
			if tt.code != 0 && !strings.HasPrefix(r.stderr, "sessionkeys") {
				t.Errorf("stderr = %q, want the prefix sessionkeys", r.stderr)
			}
		})
	}
	if _, err := os.Stat(file + ".new"); !os.IsNotExist(err) {
		t.Errorf("init with a usage error left a file behind: %v", err)
	}
}

func TestList(t *testing.T) {
	keys, file := newRing(t)
	demoted := keys.Keys()[0].ID
	active, err := keys.Add()
	if err != nil {
		t.Fatal(err)
	}
	disabled, err := keys.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Disable(disabled); err != nil {
		t.Fatal(err)
	}
	primary, err := keys.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Force(primary, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	info := make(map[uint32]keyrotation.KeyInfo)
	for _, k := range keys.Keys() {
		info[k.ID] = k
	}
	if info[demoted].DisableableAt.IsZero() || info[active].PromotableAt.IsZero() {
		t.Fatalf("keys %+v: want a time to disable the demoted key and to promote the active one", keys.Keys())
	}
	type key struct {
		id       uint32
		state    string
		promoted bool
		next     string    // "" for none
		from     time.Time // zero for none
	}
	// The keys in the order of Keys, which list keeps, with their state
	// and next step.
	byID := map[uint32]key{
		primary:  {primary, "primary", true, "", time.Time{}},
		demoted:  {demoted, "active", true, "disable", info[demoted].DisableableAt},
		active:   {active, "active", false, "promote", info[active].PromotableAt},
		disabled: {disabled, "disabled", false, "remove", time.Time{}},
	}
	var want []key
	for _, k := range keys.Keys() {
		want = append(want, byID[k.ID])
	}

	t.Run("table", func(t *testing.T) {
		r := cli(t, []string{file}, "list", file)
		if r.code != 0 {
			t.Fatalf("exit code %d: %s", r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if len(lines) != 2+len(want) {
			t.Fatalf("got %d lines, want the waits, a header and %d keys:\n%s", len(lines), len(want), r.stdout)
		}
		if got, want := lines[0], "propagation delay 1h0m0s, max lifetime 168h0m0s"; got != want {
			t.Errorf("first line = %q, want %q", got, want)
		}
		if got := strings.Fields(lines[1]); !slices.Equal(got, []string{"ID", "STATE", "CREATED", "PROMOTED", "NEXT"}) {
			t.Errorf("header = %q, want ID STATE CREATED PROMOTED NEXT", lines[1])
		}
		for i, w := range want {
			line := lines[i+2]
			f := strings.Fields(line)
			if len(f) < 5 || f[0] != strconv.Itoa(int(w.id)) || f[1] != w.state {
				t.Errorf("line %q, want key %d %s", line, w.id, w.state)
				continue
			}
			if _, err := time.Parse(time.RFC3339, f[2]); err != nil {
				t.Errorf("line %q: created %q: %v", line, f[2], err)
			}
			if w.promoted {
				if _, err := time.Parse(time.RFC3339, f[3]); err != nil {
					t.Errorf("line %q: promoted %q: %v", line, f[3], err)
				}
			} else if f[3] != "-" {
				t.Errorf("line %q: promoted %q, want -", line, f[3])
			}
			next := "-"
			switch {
			case !w.from.IsZero():
				next = w.next + " from " + formatTime(w.from)
			case w.next != "":
				next = w.next
			}
			if got := strings.Join(f[4:], " "); got != next {
				t.Errorf("line %q: next %q, want %q", line, got, next)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		r := cli(t, []string{file}, "list", "--json", file)
		if r.code != 0 {
			t.Fatalf("exit code %d: %s", r.code, r.stderr)
		}
		var got []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("stdout is not a JSON array: %v\n%s", err, r.stdout)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d keys, want %d", len(got), len(want))
		}
		// optional is the JSON of a time that may be zero.
		optional := func(t time.Time) any {
			if t.IsZero() {
				return nil
			}
			return formatTime(t)
		}
		for i, w := range want {
			g := got[i]
			var fields []string
			for k := range g {
				fields = append(fields, k)
			}
			slices.Sort(fields)
			if want := []string{"created", "demoted", "id", "next", "next_from", "promoted", "state"}; !slices.Equal(fields, want) {
				t.Errorf("key %d: fields %v, want %v", i, fields, want)
			}
			if id, ok := g["id"].(float64); !ok || id != float64(w.id) {
				t.Errorf("key %d: id = %#v, want the number %d", i, g["id"], w.id)
			}
			if g["state"] != w.state {
				t.Errorf("key %d: state = %#v, want %q", i, g["state"], w.state)
			}
			created, _ := g["created"].(string)
			if _, err := time.Parse(time.RFC3339, created); err != nil {
				t.Errorf("key %d: created = %#v: %v", i, g["created"], err)
			}
			switch p := g["promoted"].(type) {
			case string:
				if _, err := time.Parse(time.RFC3339, p); err != nil || !w.promoted {
					t.Errorf("key %d: promoted = %q, want promoted %v", i, p, w.promoted)
				}
			case nil:
				if w.promoted {
					t.Errorf("key %d: promoted = null, want a time", i)
				}
			default:
				t.Errorf("key %d: promoted = %#v, want an RFC 3339 string or null", i, p)
			}
			if got, want := g["demoted"], optional(info[w.id].Demoted); got != want || (w.id == demoted) != (got != nil) {
				t.Errorf("key %d: demoted = %#v, want %#v, a time for the demoted key only", i, got, want)
			}
			var next any
			if w.next != "" {
				next = w.next
			}
			if g["next"] != next || g["next_from"] != optional(w.from) {
				t.Errorf("key %d: next, next_from = %#v, %#v; want %#v, %#v", i, g["next"], g["next_from"], next, optional(w.from))
			}
		}
	})
}

// cookieToken seals a session with two values under keys, through a
// Manager with the options given, and returns its token and ID.
func cookieToken(t *testing.T, keys *keyrotation.Keyring, sopts session.Options) (string, string) {
	t.Helper()
	store, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	sopts.Logger = quiet
	m, err := session.NewManager(store, sopts)
	if err != nil {
		t.Fatal(err)
	}
	r, s := testkit.Load(t, m, nil)
	if err := s.Set("cart", []int{3, 1, 4}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("name", "Zoë"); err != nil {
		t.Fatal(err)
	}
	s.SetUser("user-42")
	s.SetPersistent(true)
	s.AddFlash("welcome back")
	return testkit.Save(t, m, r, s).Value, s.ID()
}

func TestInspectCookie(t *testing.T) {
	keys, file := newRing(t)
	_, otherFile := newRing(t)
	disabledFile := filepath.Join(t.TempDir(), "disabled.json")
	{
		// The ring of file with its primary key demoted and disabled.
		k := loadRing(t, file)
		id, err := k.Add()
		if err != nil {
			t.Fatal(err)
		}
		if err := k.Force(id, keyrotation.Primary); err != nil {
			t.Fatal(err)
		}
		if err := k.Force(keys.Keys()[0].ID, keyrotation.Disabled); err != nil {
			t.Fatal(err)
		}
		if err := k.WriteFile(disabledFile); err != nil {
			t.Fatal(err)
		}
	}
	token, id := cookieToken(t, keys, session.Options{})
	sidToken, sidID := cookieToken(t, keys, session.Options{Cookie: session.CookieOptions{Name: "sid"}})
	past := time.Now().Add(-48 * time.Hour)
	clock := func() time.Time { return past }
	expiredToken, expiredID := cookieToken(t, keys, session.Options{Now: clock, Lifetime: time.Hour})
	tampered := []byte(token)
	i := len(tampered) / 2
	if tampered[i] == 'A' {
		tampered[i] = 'B'
	} else {
		tampered[i] = 'A'
	}
	kid := strconv.FormatUint(uint64(keys.Keys()[0].ID), 10)

	valid := []string{"format:", "version 1", "kid:", kid + " (primary", "mode:", "cookie", "issued:", "expires:",
		`"cart"`, "[3,1,4]", `"name"`, `"Zoë"`, "user-42", "persistent", `"welcome back"`}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "valid", args: []string{file, token}, stdout: append([]string{id, "status:", "valid", "__Host-session"}, valid...)},
		{name: "cookie name", args: []string{"--cookie-name", "sid", file, sidToken}, stdout: append([]string{sidID, "sid"}, valid...)},
		{name: "expired", args: []string{file, expiredToken}, stdout: []string{expiredID, "expired", "[3,1,4]"}},
		{name: "wrong cookie name", args: []string{file, sidToken}, code: 1, stderr: []string{"invalid token", "--cookie-name", `"__Host-session"`}},
		{name: "tampered", args: []string{file, string(tampered)}, code: 1, stderr: []string{"sessionkeys: inspect: invalid token"}},
		{name: "truncated", args: []string{file, token[:len(token)-4]}, code: 1, stderr: []string{"invalid token"}},
		{name: "garbage", args: []string{file, "not a token!"}, code: 1, stderr: []string{"invalid token"}},
		{name: "unknown key", args: []string{otherFile, token}, code: 1, stderr: []string{"sealed under key " + kid, "does not hold"}},
		{name: "disabled key", args: []string{disabledFile, token}, code: 1, stderr: []string{"sealed under key " + kid, "has disabled"}},
	}
	files := []string{file, otherFile, disabledFile}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, files, append([]string{"inspect"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
				}
			}
			if tt.code != 0 && r.stdout != "" {
				t.Errorf("stdout = %q, want nothing for a token that does not open", r.stdout)
			}
		})
	}

	t.Run("expired says so", func(t *testing.T) {
		r := cli(t, files, "inspect", file, expiredToken)
		if !regexp.MustCompile(`(?m)^status: +expired`).MatchString(r.stdout) {
			t.Errorf("stdout does not have the status expired:\n%s", r.stdout)
		}
		r = cli(t, files, "inspect", file, token)
		if !regexp.MustCompile(`(?m)^status: +valid$`).MatchString(r.stdout) {
			t.Errorf("stdout does not have the status valid:\n%s", r.stdout)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		f, err := os.CreateTemp(t.TempDir(), "token")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(token + "\n"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		stdin := os.Stdin
		os.Stdin = f
		defer func() { os.Stdin = stdin }()
		r := cli(t, files, "inspect", file, "-")
		if r.code != 0 || !strings.Contains(r.stdout, id) {
			t.Errorf("inspect FILE - with the token on stdin: exit code %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestInspectReference(t *testing.T) {
	keys, file := newRing(t)
	_, otherFile := newRing(t)
	coll := mongotest.DB(t).Collection("sessions")
	save := func(t *testing.T, opts serverstore.Options, sopts session.Options) (string, string) {
		t.Helper()
		m := serverManager(t, keys, coll, opts, sopts)
		r, s := testkit.Load(t, m, nil)
		if err := s.Set("secret-value", "do not print me"); err != nil {
			t.Fatal(err)
		}
		return testkit.Save(t, m, r, s).Value, s.ID()
	}
	token, id := save(t, serverstore.Options{}, session.Options{})
	edToken, edID := save(t, serverstore.Options{SigningMethod: "EdDSA"}, session.Options{})
	past := time.Now().Add(-48 * time.Hour)
	clock := func() time.Time { return past }
	expiredToken, expiredID := save(t, serverstore.Options{}, session.Options{Now: clock, Lifetime: time.Hour})
	kid := strconv.FormatUint(uint64(keys.Keys()[0].ID), 10)
	parts := strings.Split(token, ".")
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)

	common := []string{"kid:", kid, "server reference", "issued:", "expires:", "not shown"}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{name: "valid", args: []string{file, token}, stdout: append([]string{id, "HS256", "signature:", "valid"}, common...)},
		{name: "EdDSA", args: []string{file, edToken}, stdout: append([]string{edID, "EdDSA", "valid"}, common...)},
		{name: "expired", args: []string{file, expiredToken}, stdout: append([]string{expiredID, "expired"}, common...)},
		{name: "tampered", args: []string{file, tampered}, code: 1, stdout: []string{"NOT VALID"}, stderr: []string{"sessionkeys: inspect: signature invalid"}},
		{name: "unknown key", args: []string{otherFile, token}, code: 1, stdout: []string{"not in the ring"}, stderr: []string{"key " + kid, "does not hold"}},
		{name: "malformed", args: []string{file, "a.b.c"}, code: 1, stderr: []string{"invalid token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, []string{file, otherFile}, append([]string{"inspect"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
				}
			}
			if strings.Contains(r.stdout, "do not print me") || strings.Contains(r.stdout, "secret-value") {
				t.Errorf("stdout shows a value stored in MongoDB:\n%s", r.stdout)
			}
		})
	}
}

// serverManager returns a Manager over a server store on coll, with the
// options given.
func serverManager(t *testing.T, keys *keyrotation.Keyring, coll *mongo.Collection, opts serverstore.Options, sopts session.Options) *session.Manager {
	t.Helper()
	b, err := mongostore.New(ctx, coll)
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = quiet
	store, err := serverstore.New(keys, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sopts.Logger = quiet
	m, err := session.NewManager(store, sopts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRewrap(t *testing.T) {
	keys, file := newRing(t)
	db := mongotest.DB(t)
	coll := db.Collection("sessions")
	m := serverManager(t, keys, coll, serverstore.Options{}, session.Options{})
	const sessions = 5
	cookies := make([]*http.Cookie, sessions)
	ids := make([]string, sessions)
	for i := range sessions {
		r, s := testkit.Load(t, m, nil)
		if err := s.Set("n", i); err != nil {
			t.Fatal(err)
		}
		cookies[i], ids[i] = testkit.Save(t, m, r, s), s.ID()
	}
	oldKey := keys.Keys()[0].ID
	newKey, err := keys.Add()
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Force(newKey, keyrotation.Primary); err != nil {
		t.Fatal(err)
	}
	if err := keys.WriteFile(file); err != nil {
		t.Fatal(err)
	}
	uri := mongotest.URI(t)
	args := []string{"rewrap", "--mongodb-uri", uri, "--db", db.Name(), "--collection", "sessions", file}

	if got := recordKeys(t, coll); got[oldKey] != sessions {
		t.Fatalf("records by key before rewrap = %v, want %d under %d", got, sessions, oldKey)
	}
	for i, want := range []int{sessions, 0} {
		r := cli(t, []string{file}, args...)
		if r.code != 0 {
			t.Fatalf("run %d: exit code %d\nstdout:\n%s\nstderr:\n%s", i+1, r.code, r.stdout, r.stderr)
		}
		if got, wantOut := r.stdout, "rewrapped "+strconv.Itoa(want)+" session records\n"; got != wantOut {
			t.Errorf("run %d: stdout = %q, want %q", i+1, got, wantOut)
		}
		if r.stderr != "" {
			t.Errorf("run %d: stderr = %q, want nothing (not a terminal: no progress bar)", i+1, r.stderr)
		}
	}
	if got := recordKeys(t, coll); got[newKey] != sessions || len(got) != 1 {
		t.Errorf("records by key after rewrap = %v, want all %d under %d", got, sessions, newKey)
	}
	// The sessions still load, now sealed under the new key.
	for i, c := range cookies {
		_, s := testkit.Load(t, m, c)
		if s.ID() != ids[i] {
			t.Fatalf("session %d after rewrap: not loaded", i)
		}
		if n, _, err := session.Value[int](s, "n"); err != nil || n != i {
			t.Errorf("session %d: n = %d, %v; want %d", i, n, err, i)
		}
	}

	t.Run("uri from the environment", func(t *testing.T) {
		t.Setenv("MONGODB_URI", uri)
		r := cli(t, []string{file}, "rewrap", "--db", db.Name(), "--collection", "sessions", file)
		if r.code != 0 || r.stdout != "rewrapped 0 session records\n" {
			t.Errorf("exit code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("missing collection", func(t *testing.T) {
		r := cli(t, []string{file}, "rewrap", "--mongodb-uri", uri, "--db", db.Name(), "--collection", "sesions", file)
		if r.code != 1 || !strings.Contains(r.stderr, `has no collection "sesions"`) {
			t.Errorf("exit code %d, stderr %q; want 1 and a missing collection", r.code, r.stderr)
		}
		names, err := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: "sesions"}})
		if err != nil || len(names) != 0 {
			t.Errorf("rewrap created the mistyped collection: %v %v", names, err)
		}
	})
	t.Run("bad uri", func(t *testing.T) {
		r := cli(t, []string{file}, "rewrap", "--mongodb-uri", "mongodb://user:hunter2@[::1", "--db", "d", "--collection", "c", file)
		if r.code != 1 || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("exit code %d, stderr %q; want 1 and no password", r.code, r.stderr)
		}
	})
}

// recordKeys counts the session records by the key that sealed them.
func recordKeys(t *testing.T, coll *mongo.Collection) map[uint32]int {
	t.Helper()
	cur, err := coll.Find(ctx, bson.D{{Key: "data", Value: bson.D{{Key: "$exists", Value: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Data []byte `bson:"data"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	count := make(map[uint32]int)
	for _, d := range docs {
		if len(d.Data) < format.HeaderSize {
			t.Fatalf("record data of %d bytes", len(d.Data))
		}
		count[binary.BigEndian.Uint32(d.Data[2:format.HeaderSize])]++
	}
	return count
}

func TestBar(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 10, "[>         ] 0/10"},
		{5, 10, "[=====>    ] 5/10"},
		{9, 10, "[=========>] 9/10"},
		{10, 10, "[==========] 10/10"},
		{12, 10, "[==========] 12/10"},
		{0, 0, "[==========] 0/0"},
	}
	for _, tt := range tests {
		if got := bar(tt.done, tt.total, 10); got != tt.want {
			t.Errorf("bar(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}

func TestDelay(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	if r := cli(t, []string{file}, "init", file); r.code != 0 {
		t.Fatalf("init: %+v", r)
	}
	r := cli(t, []string{file}, "delay", file, "15m")
	if r.code != 0 || !strings.Contains(r.stdout, "set to 15m0s") {
		t.Fatalf("delay: %+v", r)
	}
	keys, err := keyrotation.LoadFile(file)
	if err != nil || propagationDelay(keys) != 15*time.Minute {
		t.Fatalf("after delay 15m: %v, %v", keys, err)
	}
	// The library refuses a negative delay, and its error says why.
	r = cli(t, []string{file}, "delay", file, "--", "-1h")
	if r.code != 1 || !strings.Contains(r.stderr, "sessionkeys: delay: keyrotation: negative propagation delay -1h0m0s") {
		t.Errorf("delay -1h: %+v, want exit 1 and the library's error", r)
	}
	if keys, err := keyrotation.LoadFile(file); err != nil || propagationDelay(keys) != 15*time.Minute {
		t.Fatalf("after a refused delay -1h: %v, %v; want the delay still 15m", keys, err)
	}
	if r := cli(t, []string{file}, "delay", file, "0"); r.code != 0 {
		t.Fatalf("delay 0: %+v", r)
	}
	if r := cli(t, []string{file}, "add", file); r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	keys, err = keyrotation.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if r := cli(t, []string{file}, "promote", file, strconv.FormatUint(uint64(keys.Keys()[1].ID), 10)); r.code != 0 {
		t.Errorf("promote with no delay: %+v", r)
	}
}

// guardRing writes a version 1 ring file, as releases before demotion
// times wrote it, whose primary key 1 was promoted promotedAgo, demoting
// key 2; key 3 was never primary. It returns the file and the time from
// which disable accepts key 2.
func guardRing(t *testing.T, promotedAgo time.Duration) (string, time.Time) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	at := func(ago time.Duration) string { return formatTime(now.Add(-ago)) }
	const day = 24 * time.Hour
	ring := `{"version": 1, "keys": [
		{"id": 1, "state": "primary", "created": "` + at(30*day) + `", "promoted": "` + at(promotedAgo) + `", "secret": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
		{"id": 2, "state": "active", "created": "` + at(60*day) + `", "promoted": "` + at(60*day) + `", "secret": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="},
		{"id": 3, "state": "active", "created": "` + at(40*day) + `", "secret": "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="}]}`
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(file, []byte(ring), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, now.Add(-promotedAgo + time.Hour + 7*day + time.Second)
}

// TestDisableGuard checks that disable refuses a previous primary key until
// the sessions it sealed have ended, says from when, accepts it from then,
// and that --force overrides the wait and says when it would have ended.
func TestDisableGuard(t *testing.T) {
	const day = 24 * time.Hour
	file, safe := guardRing(t, day)
	r := cli(t, []string{file}, "disable", file, "2")
	for _, want := range []string{"sessionkeys: disable: keyrotation: unsafe operation", "key 2 stopped being primary at", "disable it from " + formatTime(safe), "--force disables it now"} {
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("disable within the lifetime: exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
		}
	}
	if got := states(loadRing(t, file))[2]; got != keyrotation.Active {
		t.Errorf("a refused disable left key 2 %v", got)
	}
	r = cli(t, []string{file}, "list", file)
	if want := "disable from " + formatTime(safe); !strings.Contains(r.stdout, want) {
		t.Errorf("list:\n%s\nwant it to say %q", r.stdout, want)
	}
	if r := cli(t, []string{file}, "disable", file, "3"); r.code != 0 || strings.Contains(r.stdout, "forced") {
		t.Errorf("disable of a key never primary: %+v, want it done at once", r)
	}
	r = cli(t, []string{file}, "disable", "--force", file, "2")
	if want := "forced: disable would have been safe from " + formatTime(safe); r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("disable --force: exit %d, stdout %q; want exit 0 and %q", r.code, r.stdout, want)
	}
	if got := states(loadRing(t, file))[2]; got != keyrotation.Disabled {
		t.Errorf("after disable --force, key 2 is %v", got)
	}

	// Once the lifetime has passed, disable needs no force, and --force
	// overrides nothing.
	for _, args := range [][]string{{"disable"}, {"disable", "--force"}} {
		file, safe := guardRing(t, 8*day)
		if !safe.Before(time.Now()) {
			t.Fatalf("disable safe from %v, want a time past", safe)
		}
		r := cli(t, []string{file}, append(args, file, "2")...)
		if r.code != 0 || !strings.Contains(r.stdout, "disabled key 2") || strings.Contains(r.stdout, "forced") {
			t.Errorf("%s after the lifetime: %+v, want key 2 disabled, not forced", strings.Join(args, " "), r)
		}
	}
}

// TestLifetime checks the lifetime command: it records the max lifetime
// in FILE, which disable and list then use.
func TestLifetime(t *testing.T) {
	const day = 24 * time.Hour
	file, safe := guardRing(t, 8*day)
	r := cli(t, []string{file}, "lifetime", file, "720h")
	if r.code != 0 || !strings.Contains(r.stdout, "max lifetime of "+file+" set to 720h0m0s") {
		t.Fatalf("lifetime 720h: %+v", r)
	}
	if _, l := loadRing(t, file).Waits(); l != 30*day {
		t.Errorf("max lifetime after lifetime 720h = %v, want 720h", l)
	}
	if data, err := os.ReadFile(file); err != nil || !bytes.Contains(data, []byte(`"version": 3`)) || !bytes.Contains(data, []byte(`"max_lifetime": "720h0m0s"`)) {
		t.Errorf("file after lifetime 720h: %s, %v; want version 3 with max_lifetime", data, err)
	}
	r = cli(t, []string{file}, "list", file)
	safe = safe.Add(30*day - 7*day)
	if !strings.Contains(r.stdout, "max lifetime 720h0m0s") || !strings.Contains(r.stdout, "disable from "+formatTime(safe)) {
		t.Errorf("list after lifetime 720h:\n%s\nwant max lifetime 720h0m0s and disable from %s", r.stdout, formatTime(safe))
	}
	if r := cli(t, []string{file}, "disable", file, "2"); r.code != 1 || !strings.Contains(r.stderr, "disable it from "+formatTime(safe)) {
		t.Errorf("disable under a 720h lifetime: %+v, want a refusal until %s", r, formatTime(safe))
	}
	// The library refuses a negative lifetime, and its error says why.
	r = cli(t, []string{file}, "lifetime", file, "--", "-1h")
	if r.code != 1 || !strings.Contains(r.stderr, "sessionkeys: lifetime: keyrotation: negative max lifetime -1h0m0s") {
		t.Errorf("lifetime -1h: %+v, want exit 1 and the library's error", r)
	}
	for _, args := range [][]string{{"lifetime", file, "7d"}, {"lifetime", file}} {
		if r := cli(t, []string{file}, args...); r.code != 2 {
			t.Errorf("%s: %+v, want exit 2", strings.Join(args, " "), r)
		}
	}
	if _, l := loadRing(t, file).Waits(); l != 30*day {
		t.Errorf("max lifetime after refused changes = %v, want 720h", l)
	}
}

// TestPromotePrintsDisableFrom checks that promote, forced or not, says
// from when disable accepts the key it demoted.
func TestPromotePrintsDisableFrom(t *testing.T) {
	for _, args := range [][]string{{"promote"}, {"promote", "--force"}} {
		file, _ := guardRing(t, 24*time.Hour)
		r := cli(t, []string{file}, append(args, file, "3")...)
		if r.code != 0 {
			t.Fatalf("%s: %+v", strings.Join(args, " "), r)
		}
		info, ok := keyInfo(loadRing(t, file), 1)
		if !ok || info.DisableableAt.IsZero() {
			t.Fatalf("key 1 after %s: %+v", strings.Join(args, " "), info)
		}
		if want := "disable it from " + formatTime(info.DisableableAt) + " (propagation delay 1h0m0s + max lifetime 168h0m0s)"; !strings.Contains(r.stdout, want) {
			t.Errorf("%s printed\n%s\nwant it to say %q", strings.Join(args, " "), r.stdout, want)
		}
	}
}

// TestEnablePrintsPromotableAt checks that enable, like add, prints when
// promote accepts the key: the wait starts again from enable.
func TestEnablePrintsPromotableAt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	for _, args := range [][]string{{"init", file}, {"delay", file, "15m"}, {"add", file}} {
		if r := cli(t, []string{file}, args...); r.code != 0 {
			t.Fatalf("%s: %+v", args[0], r)
		}
	}
	id := loadRing(t, file).Keys()[1].ID
	arg := strconv.FormatUint(uint64(id), 10)
	if r := cli(t, []string{file}, "disable", file, arg); r.code != 0 {
		t.Fatalf("disable: %+v", r)
	}
	r := cli(t, []string{file}, "enable", file, arg)
	if r.code != 0 {
		t.Fatalf("enable: %+v", r)
	}
	info, ok := keyInfo(loadRing(t, file), id)
	if !ok {
		t.Fatalf("no key %d in the ring", id)
	}
	want := "next: copy " + file + " to every server; promote accepts the key again from " + formatTime(info.PromotableAt) + " (propagation delay 15m0s)\n"
	if !strings.HasSuffix(r.stdout, want) {
		t.Errorf("enable printed\n%s\nwant it to end with\n%s", r.stdout, want)
	}
}

// TestConcurrentChangesTakeTurns runs many adds on one ring at once: each
// must find the ring as the previous one left it, so none is lost.
func TestConcurrentChangesTakeTurns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	if r := cli(t, nil, "init", file); r.code != 0 {
		t.Fatalf("init: %+v", r)
	}
	const adds = 16
	var wg sync.WaitGroup
	for range adds {
		wg.Go(func() {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"add", file}, &stdout, &stderr); code != 0 {
				t.Errorf("add: exit %d: %s", code, stderr.String())
			}
		})
	}
	wg.Wait()
	keys, err := keyrotation.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(keys.Keys()); n != 1+adds {
		t.Errorf("%d keys after %d concurrent adds, want %d", n, adds, 1+adds)
	}
}

// TestInitForceTakesTurns runs init --force while adds run: an add that
// loaded the old ring must never write it back, bringing back the keys the
// forced init replaced.
func TestInitForceTakesTurns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	for round := range 20 {
		if r := cli(t, nil, "init", "--force", file); r.code != 0 {
			t.Fatalf("init: %+v", r)
		}
		old, err := keyrotation.LoadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { run([]string{"add", file}, io.Discard, io.Discard) })
		}
		wg.Go(func() { run([]string{"init", "--force", file}, io.Discard, io.Discard) })
		wg.Wait()
		keys, err := keyrotation.LoadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys.Keys() {
			if k.ID == old.Keys()[0].ID {
				t.Fatalf("round %d: key %d of the replaced ring came back", round, k.ID)
			}
		}
	}
}
