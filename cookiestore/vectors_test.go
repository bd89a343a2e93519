package cookiestore

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/format"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

var update = flag.Bool("update", false, "write the known-answer vectors in testdata/vectors that do not exist yet")

// vector is one known-answer test, one per file. A vector with a session
// is valid: sealing the session with the nonce gives the token, and opening
// the token gives the session back, which a Manager accepts at now. A
// vector with an error is a token refused with that error: by the store
// ("invalid", "unknown_key"), or, for an authentic token whose deadlines
// have passed at now, by the Manager ("expired").
type vector struct {
	Comment    string          `json:"comment"`
	Keyring    json.RawMessage `json:"keyring"`
	CookieName string          `json:"cookie_name"`
	Now        int64           `json:"now"`
	Nonce      string          `json:"nonce,omitempty"`
	Session    *vectorSession  `json:"session,omitempty"`
	Token      string          `json:"token"`
	Error      string          `json:"error,omitempty"` // "invalid", "unknown_key" or "expired"
}

type vectorSession struct {
	ID          string            `json:"id"`
	User        string            `json:"user,omitempty"`
	Revocable   bool              `json:"revocable,omitempty"`
	Persistent  bool              `json:"persistent,omitempty"`
	Created     int64             `json:"created"`
	Issued      int64             `json:"issued"`
	IdleExpires int64             `json:"idle_expires"`
	Expires     int64             `json:"expires"`
	IdleTimeout int64             `json:"idle_timeout,omitempty"` // the session's own, payload version 2
	Lifetime    int64             `json:"lifetime,omitempty"`     // the session's own, payload version 2
	Values      map[string]string `json:"values,omitempty"`       // key: JSON text
	Flashes     []string          `json:"flashes,omitempty"`
}

// payload returns the session's encoding.
func (v *vectorSession) payload() []byte {
	d := payload.Data{ID: v.ID, User: v.User, Revocable: v.Revocable, Persistent: v.Persistent,
		Created: v.Created, Issued: v.Issued, IdleExpires: v.IdleExpires, Expires: v.Expires, Flashes: v.Flashes,
		IdleTimeout: v.IdleTimeout, Lifetime: v.Lifetime}
	for k, val := range v.Values {
		d.Entries = append(d.Entries, payload.Entry{Key: k, Value: []byte(val)})
	}
	slices.SortFunc(d.Entries, func(a, b payload.Entry) int { return strings.Compare(a.Key, b.Key) })
	return d.Append(nil)
}

// Fixed test keys. Never use these anywhere else.
const (
	vectorRing = `{"version":1,"keys":[
	{"id":1234567890,"state":"primary","created":"2026-11-01T00:00:00Z","promoted":"2026-11-01T00:00:00Z","secret":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="},
	{"id":42,"state":"active","created":"2026-10-01T00:00:00Z","secret":"ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}]}`
	otherRing = `{"version":1,"keys":[
	{"id":777,"state":"primary","created":"2026-11-01T00:00:00Z","promoted":"2026-11-01T00:00:00Z","secret":"QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="}]}`
	vectorNow = 1795000000
)

func (v *vector) store(t *testing.T) *Store {
	t.Helper()
	keys, err := keyrotation.Parse(v.Keyring)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	if v.Nonce != "" {
		nonce, err := hex.DecodeString(v.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		s.rand = bytes.NewReader(nonce)
	}
	return s
}

// managerLoad loads the vector's token through a Manager over store, with
// the vector's cookie name, at its now, and returns the load event.
func (v *vector) managerLoad(t *testing.T, store *Store) session.LoadEvent {
	t.Helper()
	var obs testkit.Observer
	m, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: v.CookieName},
		Now: func() time.Time { return time.Unix(v.Now, 0) }, Observer: &obs})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Load(t, m, &http.Cookie{Name: v.CookieName, Value: v.Token})
	loads, _ := obs.Take()
	if len(loads) != 1 {
		t.Fatalf("%d load events, want 1", len(loads))
	}
	return loads[0]
}

// seal makes the token of a vector's session, with its nonce.
func (v *vector) seal(t *testing.T) string {
	t.Helper()
	tok, err := v.store(t).Save(context.Background(), v.CookieName, &session.Record{Payload: v.Session.payload()}, time.Unix(v.Now, 0))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func referenceSession() *vectorSession {
	return &vectorSession{
		ID: "q2D9vJm1c0bWw3nY8fR4sA", Persistent: true,
		Created: vectorNow - 600, Issued: vectorNow - 60, IdleExpires: vectorNow - 60 + 86400, Expires: vectorNow - 600 + 7*86400,
		Values: map[string]string{
			"user_id": `"usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L"`,
			"role":    `"editor"`,
			"cart":    `[{"SKU":"BOOK-0001","Qty":1},{"SKU":"MUG-0042","Qty":2},{"SKU":"PEN-0007","Qty":10}]`,
			"flash":   `"Your cart was saved."`,
			"csrf":    `"kq3V1pXo9bA2sLr7TnE4wYc8HfJ0"`,
		},
	}
}

func validEmpty(t *testing.T) vector {
	v := vector{Comment: "a session with no values", Keyring: json.RawMessage(vectorRing), CookieName: "__Host-session", Now: vectorNow,
		Nonce: "000102030405060708090a0b",
		Session: &vectorSession{ID: "AAAAAAAAAAAAAAAAAAAAAA", Created: vectorNow, Issued: vectorNow,
			IdleExpires: vectorNow + 3600, Expires: vectorNow + 86400}}
	v.Token = v.seal(t)
	return v
}

// generators make the vectors written by -update; existing files are never
// rewritten, so that old vectors keep freezing the format.
var generators = map[string]func(t *testing.T) vector{
	"valid-empty": validEmpty,
	"valid-reference": func(t *testing.T) vector {
		v := vector{Comment: "the reference session of the benchmarks, persistent", Keyring: json.RawMessage(vectorRing),
			CookieName: "__Host-session", Now: vectorNow, Nonce: "f0e1d2c3b4a5968778695a4b", Session: referenceSession()}
		v.Token = v.seal(t)
		return v
	},
	"valid-user-revocable-flashes": func(t *testing.T) vector {
		v := vector{Comment: "user, revocable flag and flashes, custom cookie name", Keyring: json.RawMessage(vectorRing),
			CookieName: "sid", Now: vectorNow, Nonce: "0badc0ffee0ddf00d5eed5ee",
			Session: &vectorSession{ID: "Zm9vYmFyYmF6cXV4cXV1eA", User: "alice@example.com", Revocable: true,
				Created: vectorNow - 10, Issued: vectorNow - 10, IdleExpires: vectorNow + 1790, Expires: vectorNow + 3590,
				Values:  map[string]string{"n": `42`, "ok": `true`},
				Flashes: []string{"Welcome back", "2 items in cart"}}}
		v.Token = v.seal(t)
		return v
	},
	"valid-own-timeouts": func(t *testing.T) vector {
		v := vector{Comment: "remember me: a persistent session with its own idle timeout (30 days) and lifetime (90 days), payload version 2",
			Keyring: json.RawMessage(vectorRing), CookieName: "__Host-session", Now: vectorNow, Nonce: "6162636465666768696a6b6c",
			Session: &vectorSession{ID: "cmVtZW1iZXItbWUtcGxlYQ", User: "alice@example.com", Persistent: true,
				Created: vectorNow - 600, Issued: vectorNow - 60, IdleExpires: vectorNow - 60 + 30*86400, Expires: vectorNow - 600 + 90*86400,
				IdleTimeout: 30 * 86400, Lifetime: 90 * 86400, Values: map[string]string{"theme": `"dark"`}}}
		v.Token = v.seal(t)
		return v
	},
	"expired-own-idle": func(t *testing.T) vector {
		v := vector{Comment: "an authentic token whose own idle timeout (10 minutes) ended before now, though its sealed idle deadline is later: the Manager bounds the deadlines by the session's own timeouts",
			Keyring: json.RawMessage(vectorRing), CookieName: "__Host-session", Now: vectorNow, Nonce: "7172737475767778797a7b7c",
			Session: &vectorSession{ID: "b3duLWlkbGUtdGltZW91dA", Created: vectorNow - 3600, Issued: vectorNow - 3600,
				IdleExpires: vectorNow + 86400, Expires: vectorNow + 86400, IdleTimeout: 600}}
		return vector{Comment: v.Comment, Keyring: v.Keyring, CookieName: v.CookieName, Now: v.Now, Token: v.seal(t), Error: "expired"}
	},
	"tampered": func(t *testing.T) vector {
		v := vector{Comment: "the reference token with one ciphertext character changed", Keyring: json.RawMessage(vectorRing),
			CookieName: "__Host-session", Now: vectorNow, Nonce: "f0e1d2c3b4a5968778695a4b", Session: referenceSession()}
		tok := []byte(v.seal(t))
		tok[60] = testkit.Flip(tok[60])
		return vector{Comment: v.Comment, Keyring: v.Keyring, CookieName: v.CookieName, Now: v.Now, Token: string(tok), Error: "invalid"}
	},
	"expired-idle": func(t *testing.T) vector {
		v := vector{Comment: "an authentic token opened after its idle deadline", Keyring: json.RawMessage(vectorRing),
			CookieName: "__Host-session", Now: vectorNow, Nonce: "1112131415161718191a1b1c",
			Session: &vectorSession{ID: "ZXhwaXJlZC1zZXNzaW9uLQ", Created: vectorNow - 7200, Issued: vectorNow - 7200,
				IdleExpires: vectorNow - 3600, Expires: vectorNow + 86400}}
		return vector{Comment: v.Comment, Keyring: v.Keyring, CookieName: v.CookieName, Now: v.Now, Token: v.seal(t), Error: "expired"}
	},
	"expired-absolute": func(t *testing.T) vector {
		v := vector{Comment: "an authentic token opened at its absolute deadline", Keyring: json.RawMessage(vectorRing),
			CookieName: "__Host-session", Now: vectorNow, Nonce: "2122232425262728292a2b2c",
			Session: &vectorSession{ID: "YWJzb2x1dGUtZGVhZGxpbg", Created: vectorNow - 86400, Issued: vectorNow - 100,
				IdleExpires: vectorNow, Expires: vectorNow}}
		return vector{Comment: v.Comment, Keyring: v.Keyring, CookieName: v.CookieName, Now: v.Now, Token: v.seal(t), Error: "expired"}
	},
	"wrong-name": func(t *testing.T) vector {
		v := vector{Keyring: json.RawMessage(vectorRing), CookieName: "sid", Now: vectorNow,
			Nonce: "3132333435363738393a3b3c", Session: referenceSession()}
		return vector{Comment: "a token sealed for the cookie \"sid\" presented as __Host-session", Keyring: v.Keyring,
			CookieName: "__Host-session", Now: v.Now, Token: v.seal(t), Error: "invalid"}
	},
	"unknown-kid": func(t *testing.T) vector {
		v := vector{Keyring: json.RawMessage(otherRing), CookieName: "__Host-session", Now: vectorNow,
			Nonce: "4142434445464748494a4b4c", Session: referenceSession()}
		return vector{Comment: "a token sealed under key 777, which the ring does not hold", Keyring: json.RawMessage(vectorRing),
			CookieName: "__Host-session", Now: v.Now, Token: v.seal(t), Error: "unknown_key"}
	},
	"old-active-key": func(t *testing.T) vector {
		activeFirst := strings.Replace(strings.Replace(vectorRing, `"primary"`, `"x"`, 1), `"active"`, `"primary"`, 1)
		activeFirst = strings.Replace(activeFirst, `"x"`, `"active"`, 1)
		v := vector{Comment: "a valid token sealed under key 42, active (not primary) in the ring", Keyring: json.RawMessage(activeFirst),
			CookieName: "__Host-session", Now: vectorNow, Nonce: "5152535455565758595a5b5c", Session: referenceSession()}
		v.Token = v.seal(t)
		v.Keyring, v.Nonce = json.RawMessage(vectorRing), ""
		return v
	},
	"bad-version": func(t *testing.T) vector {
		v := validEmpty(t)
		b, err := format.Base64.DecodeString(v.Token)
		if err != nil {
			t.Fatal(err)
		}
		b[0] = 2
		return vector{Comment: "the valid-empty token with version byte 2", Keyring: v.Keyring,
			CookieName: v.CookieName, Now: v.Now, Token: format.Base64.EncodeToString(b), Error: "invalid"}
	},
}

func TestVectors(t *testing.T) {
	dir := filepath.Join("testdata", "vectors")
	if *update {
		for name, gen := range generators {
			path := filepath.Join(dir, name+".json")
			if _, err := os.Stat(path); err == nil {
				continue
			}
			b, err := json.MarshalIndent(gen(t), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no vectors in %s", dir)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var v vector
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			store := v.store(t)
			got, err := store.Load(context.Background(), v.CookieName, v.Token, time.Unix(v.Now, 0))
			switch v.Error {
			case "":
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if want := v.Session.payload(); !bytes.Equal(got.Payload, want) {
					t.Errorf("opened session differs:\n got %x\nwant %x", got.Payload, want)
				}
				if e := v.managerLoad(t, store); !e.Found {
					t.Errorf("the Manager at now: %+v, want the session", e)
				}
				if v.Nonce != "" {
					if tok := v.seal(t); tok != v.Token {
						t.Errorf("sealing gives another token:\n got %s\nwant %s", tok, v.Token)
					}
				}
			case "invalid":
				if !errors.Is(err, session.ErrInvalid) {
					t.Errorf("Load: got %v, want ErrInvalid", err)
				}
			case "unknown_key":
				if !errors.Is(err, keyrotation.ErrUnknownKey) || !errors.Is(err, session.ErrInvalid) {
					t.Errorf("Load: got %v, want ErrUnknownKey matching ErrInvalid", err)
				}
			case "expired":
				// Authentic: the store opens it, and the Manager,
				// which owns the deadlines, refuses it.
				if err != nil {
					t.Errorf("Load: got %v, want the record", err)
				}
				if e := v.managerLoad(t, store); e.Found || e.Rejected != "expired" {
					t.Errorf("the Manager at now: %+v, want it rejected as expired", e)
				}
			default:
				t.Fatalf("unknown error class %q", v.Error)
			}
		})
	}
}
