package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/reftoken"
	"github.com/sessionseal/session/keyrotation"
)

var inspectCommand = &command{
	name:    "inspect",
	args:    "[--cookie-name NAME] FILE TOKEN",
	summary: "show what a session cookie or reference token holds",
	doc: `Inspect opens TOKEN, the value of a session cookie or bearer token, with the
keys of the ring in FILE, and prints what it holds. TOKEN - reads the token from
standard input, which keeps it out of the process list and the shell history.

A sealed cookie token (cookie mode) shows its format version, the ID of the key
that sealed it (kid) and that key's state, the session ID, user, flags
(persistent, revocable), when it was created and issued, when it expires, and
every value with its JSON encoding. Sealed tokens are bound to the cookie's name:
give --cookie-name for a store that uses another name.

A reference token (a JWT, for sessions kept in MongoDB) shows its kid, the session
ID, when it was issued and expires, and whether its signature (HS256 or EdDSA)
verifies under the ring. The session's values live in MongoDB and are not shown.

Inspect works on expired tokens too, and says that they are expired. A token
that does not open (malformed, tampered with, sealed for another cookie name, or
under a key that FILE lacks or has disabled) is reported with the reason, and
inspect exits with status 1. Inspect prints no key material.
`,
	run: runInspect,
}

// defaultCookieName is the cookie name of a session.Manager whose options
// leave it unset.
const defaultCookieName = "__Host-session"

func runInspect(e *env, c *command, args []string) error {
	flags := flag.NewFlagSet(c.name, flag.ContinueOnError)
	name := flags.String("cookie-name", defaultCookieName, "the `NAME` of the cookie the token came from; sealed tokens are bound to it")
	args, err := e.parse(c, flags, args, 2)
	if err != nil {
		return err
	}
	keys, err := load(args[0])
	if err != nil {
		return err
	}
	token := args[1]
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(e.stdin, format.MaxTokenLen+2))
		if err != nil {
			return fmt.Errorf("reading the token from standard input: %w", err)
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	if strings.Count(token, ".") == 2 { // base64url has no dots: a JWT
		return inspectReference(e, args[0], keys, token)
	}
	return inspectCookie(e, args[0], keys, token, *name)
}

// inspectCookie prints the session sealed in a cookie token.
func inspectCookie(e *env, path string, keys *keyrotation.Keyring, token, name string) error {
	buf := make([]byte, 0, format.Base64.DecodedLen(len(token)))
	plaintext, kid, err := format.Open(buf, token, 0, name, keys, keyrotation.PurposeCookie, nil)
	if errors.Is(err, keyrotation.ErrUnknownKey) {
		// Open checked the header before looking the key up, so the
		// token decodes and holds a kid.
		b, _ := format.Base64.DecodeString(token)
		if len(b) < format.HeaderSize {
			return errors.New("token does not open: it names a key the ring does not hold")
		}
		kid := binary.BigEndian.Uint32(b[2:format.HeaderSize])
		return fmt.Errorf("token does not open: it was sealed under key %d, which %s %s", kid, path, missing(keys, kid))
	}
	if err != nil {
		return fmt.Errorf("invalid token: not a sealed cookie token that the ring in %s opens for the cookie %q: it is malformed, truncated or tampered with, or was sealed for another cookie name (see --cookie-name)", path, name)
	}
	var d payload.Data
	if err := payload.Parse(&d, plaintext); err != nil {
		// Authentic, yet unreadable: written by a newer payload encoding,
		// or a bug.
		return fmt.Errorf("the token is authentic but its session does not decode: %v", err)
	}
	now := e.now()
	created, issued := time.Unix(d.Created, 0), time.Unix(d.Issued, 0)
	idle, deadline := time.Unix(d.IdleExpires, 0), time.Unix(d.Expires, 0)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 1, ' ', 0)
	field(w, "format", "version %d (AES-256-GCM sealed cookie)", format.Version1)
	field(w, "kid", "%d (%s)", kid, stateOf(keys, kid))
	field(w, "mode", "cookie (the whole session is sealed in the token)")
	field(w, "cookie name", "%s", name)
	field(w, "session ID", "%s", d.ID)
	field(w, "user", "%s", orNone(d.User))
	var flags []string
	if d.Persistent {
		flags = append(flags, "persistent")
	}
	if d.Revocable {
		flags = append(flags, "revocable")
	}
	field(w, "flags", "%s", orNone(strings.Join(flags, ", ")))
	field(w, "created", "%s", formatTime(created))
	field(w, "issued", "%s", formatTime(issued))
	field(w, "expires", "%s (idle deadline, %s)", formatTime(idle), relative(idle, now))
	field(w, "deadline", "%s (end of the absolute lifetime, %s)", formatTime(deadline), relative(deadline, now))
	if now.Before(idle) {
		field(w, "status", "valid")
	} else {
		field(w, "status", "expired: servers reject this token")
	}
	field(w, "values", "%d", len(d.Entries))
	for _, en := range d.Entries {
		if !json.Valid(en.Value) {
			fmt.Fprintf(w, "  %s\t(not JSON)\n", strconv.Quote(en.Key))
			continue
		}
		fmt.Fprintf(w, "  %s\t%s\n", strconv.Quote(en.Key), en.Value)
	}
	field(w, "flashes", "%d", len(d.Flashes))
	for _, f := range d.Flashes {
		fmt.Fprintf(w, "  %s\n", strconv.Quote(f))
	}
	return w.Flush()
}

// inspectReference prints the fields of a reference token (a JWT) and
// checks its signature.
func inspectReference(e *env, path string, keys *keyrotation.Keyring, token string) error {
	// Claims are not validated: an expired token is reported as such
	// after its signature has been checked, not refused.
	t, err := reftoken.Decode(token)
	if err != nil {
		// The parser's message may quote the token's JSON: not shown.
		return errors.New("invalid token: neither a sealed cookie token nor a well-formed reference token (JWT)")
	}
	alg := t.Alg
	kidText, _ := t.Header["kid"].(string)
	kid, kidOK := reftoken.KeyID(t.Header)

	now := e.now()
	w := tabwriter.NewWriter(e.stdout, 0, 0, 1, ' ', 0)
	field(w, "format", "JWT reference token (%s)", orNone(alg))
	if !kidOK {
		field(w, "kid", "%s (not a key ID)", strconv.Quote(kidText))
	} else {
		field(w, "kid", "%d (%s)", kid, stateOf(keys, kid))
	}
	field(w, "mode", "server reference (the session is a record in MongoDB)")
	field(w, "session ID", "%s", orNone(t.ID))
	if !t.IssuedAt.IsZero() {
		field(w, "issued", "%s", formatTime(t.IssuedAt))
	} else {
		field(w, "issued", "(none)")
	}
	expired := false
	if !t.ExpiresAt.IsZero() {
		expired = !now.Before(t.ExpiresAt)
		field(w, "expires", "%s (%s)", formatTime(t.ExpiresAt), relative(t.ExpiresAt, now))
	} else {
		field(w, "expires", "(none: servers reject a token without expiry)")
	}

	var failure error
	switch {
	case !kidOK:
		failure = errors.New("signature not checked: the header's kid is not a key ID")
	case alg != reftoken.HS256 && alg != reftoken.EdDSA:
		failure = fmt.Errorf("signature not checked: the algorithm is %s, not HS256 or EdDSA", strconv.Quote(alg))
	default:
		err := reftoken.Verify(keys, token)
		switch {
		case errors.Is(err, keyrotation.ErrUnknownKey):
			failure = fmt.Errorf("signature not checked: the token names key %d, which %s %s", kid, path, missing(keys, kid))
		case err != nil:
			failure = errors.New("signature invalid: the token was tampered with, or signed under another ring")
		}
	}
	if failure != nil {
		field(w, "signature", "NOT VALID: the fields above are not authentic")
	} else {
		field(w, "signature", "valid (%s, key %d)", alg, kid)
	}
	switch {
	case failure != nil:
		field(w, "status", "invalid: servers reject this token")
	case expired:
		field(w, "status", "expired: servers reject this token")
	case t.ExpiresAt.IsZero():
		field(w, "status", "invalid: servers reject this token")
	default:
		field(w, "status", "valid signature (whether the record still exists is up to MongoDB)")
	}
	field(w, "values", "stored in MongoDB, not shown: the token holds only a reference")
	if err := w.Flush(); err != nil {
		return err
	}
	return failure
}

func field(w io.Writer, name, layout string, args ...any) {
	fmt.Fprintf(w, "%s:\t%s\n", name, fmt.Sprintf(layout, args...))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// stateOf describes the state of key id in the ring.
func stateOf(keys *keyrotation.Keyring, id uint32) string {
	if info, ok := keyInfo(keys, id); ok {
		return info.State.String() + " key in the ring"
	}
	return "not in the ring"
}

// missing says why the ring cannot use key id: "does not hold" or "has
// disabled".
func missing(keys *keyrotation.Keyring, id uint32) string {
	if info, ok := keyInfo(keys, id); ok && info.State == keyrotation.Disabled {
		return "has disabled (sessionkeys enable would let it open again)"
	}
	return "does not hold"
}

// relative says how far t is from now: "in 1h0m0s" or "expired 5m0s ago".
func relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	if d > 0 {
		return "in " + d.String()
	}
	return "expired " + (-d).String() + " ago"
}
