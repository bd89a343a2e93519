package cookiestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

var ctx = context.Background()

type fixture struct {
	keys   *keyrotation.Keyring
	clock  *testkit.Clock
	store  *cookiestore.Store
	m      *session.Manager
	events testkit.Observer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{keys: keys, clock: testkit.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))}
	f.store, err = cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	f.m, err = session.NewManager(f.store, session.Options{Now: f.clock.Now, Observer: &f.events})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type item struct {
	SKU string
	Qty int
}

// reference fills s with the reference session of the benchmarks.
func reference(t testing.TB, s *session.Session) {
	t.Helper()
	for k, v := range map[string]any{
		"user_id": "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L",
		"role":    "editor",
		"cart":    []item{{"BOOK-0001", 1}, {"MUG-0042", 2}, {"PEN-0007", 10}},
		"flash":   "Your cart was saved.",
		"csrf":    "kq3V1pXo9bA2sLr7TnE4wYc8HfJ0",
	} {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
}

// token returns the token of a new session holding the reference session,
// saved through the Manager, and the session.
func (f *fixture) token(t testing.TB) (string, *session.Session) {
	t.Helper()
	r, s := testkit.Load(t, f.m, nil)
	reference(t, s)
	return testkit.Save(t, f.m, r, s).Value, s
}

// record returns the record of the reference session, as the store loads
// it, for calling Save directly.
func (f *fixture) record(t testing.TB) *session.Record {
	t.Helper()
	tok, _ := f.token(t)
	rec, err := f.load(tok)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// load opens tok with the store, for the Manager's cookie name.
func (f *fixture) load(tok string) (*session.Record, error) {
	return f.store.Load(ctx, f.m.CookieName(), tok, f.clock.Now())
}

// save seals r with the store, for the Manager's cookie name.
func (f *fixture) save(r *session.Record) (string, error) {
	return f.store.Save(ctx, f.m.CookieName(), r, f.clock.Now())
}

// seal saves s through the Manager and returns its token, or the error of
// the store's Save.
func (f *fixture) seal(s *session.Session) (string, error) {
	w := httptest.NewRecorder()
	if err := f.m.Save(w, httptest.NewRequest("GET", "/", nil), s); err != nil {
		return "", err
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == f.m.CookieName() {
			return c.Value, nil
		}
	}
	return "", errors.New("Save set no cookie")
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	tok, s := f.token(t)
	got, err := f.load(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode != session.ModeCookie || got.Reseal {
		t.Errorf("mode %v reseal %v, want cookie and no re-seal", got.Mode, got.Reseal)
	}
	var d payload.Data
	if err := payload.Parse(&d, slices.Clone(got.Payload)); err != nil {
		t.Fatalf("the payload does not parse: %v", err)
	}
	if d.ID != s.ID() {
		t.Errorf("ID: got %q, want %q", d.ID, s.ID())
	}
	_, loaded := testkit.Load(t, f.m, &http.Cookie{Name: f.m.CookieName(), Value: tok})
	if loaded.ID() != s.ID() || loaded.Mode() != session.ModeCookie {
		t.Errorf("ID/mode through the Manager: got %q %v, want %q cookie", loaded.ID(), loaded.Mode(), s.ID())
	}
	cart, ok, err := session.Value[[]item](loaded, "cart")
	if err != nil || !ok || len(cart) != 3 || cart[2] != (item{"PEN-0007", 10}) {
		t.Errorf("cart: got %v, %v, %v", cart, ok, err)
	}
	if want := []string{"cart", "csrf", "flash", "role", "user_id"}; fmt.Sprint(loaded.Keys()) != fmt.Sprint(want) {
		t.Errorf("Keys: got %v, want %v", loaded.Keys(), want)
	}
	tok2, err := f.save(got)
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok {
		t.Error("two seals of one session gave the same token: nonce reused")
	}
	again, err := f.load(tok2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Payload, got.Payload) {
		t.Error("a re-sealed payload opens to other bytes")
	}
}

// Every byte of a token is authenticated: changing any one is ErrInvalid.
func TestTamperEveryByte(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	raw, err := decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte(nil), raw...)
			b[i] ^= mask
			_, err := f.load(encode(b))
			if !errors.Is(err, session.ErrInvalid) {
				t.Fatalf("byte %d ^ %#x: got %v, want ErrInvalid", i, mask, err)
			}
		}
	}
	// The same at the text level, for every character.
	for i := range tok {
		b := []byte(tok)
		b[i] = testkit.Flip(b[i])
		if _, err := f.load(string(b)); !errors.Is(err, session.ErrInvalid) {
			t.Fatalf("character %d: got %v, want ErrInvalid", i, err)
		}
	}
}

func TestTruncationAtEveryLength(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	for n := range len(tok) {
		if _, err := f.load(tok[:n]); !errors.Is(err, session.ErrInvalid) {
			t.Fatalf("length %d of %d: got %v, want ErrInvalid", n, len(tok), err)
		}
	}
	if _, err := f.load(tok + "A"); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("extended token: got %v, want ErrInvalid", err)
	}
}

func TestRejectsMalformedTokens(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	raw, _ := decode(tok)
	withFlags := append([]byte(nil), raw...)
	withFlags[1] = 1
	cases := map[string]string{
		"empty":             "",
		"padding":           tok + "==",
		"standard alphabet": strings.NewReplacer("-", "+", "_", "/").Replace(tok),
		"spaces":            tok[:10] + " " + tok[11:],
		"oversized":         strings.Repeat("A", 4097),
		"reference flag":    encode(withFlags),
		"non-ascii":         tok[:5] + "é" + tok[7:],
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := f.load(tok); !errors.Is(err, session.ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

// TestExpiry: the store opens an authentic token whatever its deadlines,
// and the Manager, which owns the clock and the timeouts, refuses it as
// expired from its idle deadline on.
func TestExpiry(t *testing.T) {
	f := newFixture(t)
	tok, s := f.token(t)
	cookie := &http.Cookie{Name: f.m.CookieName(), Value: tok}
	f.events.Take()
	f.clock.Advance(s.IdleDeadline().Sub(f.clock.Now()) - time.Second)
	if _, got := testkit.Load(t, f.m, cookie); got.ID() != s.ID() {
		t.Fatalf("one second before the deadline: got a new session")
	}
	f.clock.Advance(time.Second)
	if _, got := testkit.Load(t, f.m, cookie); got.ID() == s.ID() || len(got.Keys()) != 0 {
		t.Errorf("at the deadline: got the session, want a new one")
	}
	if loads, _ := f.events.Take(); len(loads) != 2 || loads[1].Rejected != "expired" {
		t.Errorf("load events %+v, want the second rejected as expired", loads)
	}
	if _, err := f.load(tok); err != nil {
		t.Errorf("the store refused an authentic token past its deadline: %v; the Manager checks deadlines", err)
	}
}

func TestWrongCookieName(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	if _, err := f.store.Load(ctx, "__Host-other", tok, f.clock.Now()); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("token under another cookie name: got %v, want ErrInvalid", err)
	}
}

func TestUnknownAndDisabledKeys(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	old := f.keys.Keys()[0].ID
	testkit.Rotate(t, f.keys)
	rec, err := f.load(tok)
	if err != nil {
		t.Fatalf("token under the active old primary: %v", err)
	}
	if rec == nil || !rec.Reseal {
		t.Fatalf("token under the active old primary: got %+v, want a record asking to be re-sealed", rec)
	}
	if err := f.keys.Disable(old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(tok); !errors.Is(err, keyrotation.ErrUnknownKey) || !errors.Is(err, session.ErrInvalid) {
		t.Errorf("disabled key: got %v, want ErrUnknownKey and ErrInvalid", err)
	}
	if err := f.keys.Remove(old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(tok); !errors.Is(err, keyrotation.ErrUnknownKey) {
		t.Errorf("removed key: got %v, want ErrUnknownKey", err)
	}
}

// The size limit is exact: for a record at the end of its life, whose
// times cannot grow, a cookie of 4096 bytes (name plus value) is made, one
// of 4097 refused.
func TestSizeLimitIsExact(t *testing.T) {
	f := newFixture(t)
	name := f.m.CookieName()
	rec := f.record(t)
	rec.Started, rec.Issued, rec.Idle = rec.Deadline, rec.Deadline, rec.Deadline
	seen := map[int]bool{}
	for n := 2900; n < 3100; n++ {
		rec.Payload = bytes.Repeat([]byte{'a'}, n)
		tok, err := f.save(rec)
		var se *session.SizeError
		switch {
		case err == nil:
			size := len(name) + len(tok)
			if size > session.MaxCookieSize {
				t.Fatalf("made a cookie of %d bytes", size)
			}
			seen[size] = true
			if got, err := f.load(tok); err != nil || !bytes.Equal(got.Payload, rec.Payload) {
				t.Fatalf("cookie of %d bytes does not load: %v", size, err)
			}
		case errors.As(err, &se) && errors.Is(err, session.ErrTooLarge):
			if se.Size <= session.MaxCookieSize || se.Limit != session.MaxCookieSize {
				t.Fatalf("refused a cookie of %d bytes (limit %d)", se.Size, se.Limit)
			}
			seen[se.Size] = true
		default:
			t.Fatalf("Save: %v", err)
		}
	}
	for _, size := range []int{4096, 4097} {
		if !seen[size] {
			t.Errorf("no record gave a cookie of exactly %d bytes", size)
		}
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	if _, err := cookiestore.New(nil); err == nil {
		t.Error("nil key ring: got no error")
	}
}

// TestHugeCookieName: the name shares the cookie's 4096 bytes with the
// token. The Manager refuses a name that leaves no room, and the store
// refuses to make a cookie of it.
func TestHugeCookieName(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("n", 4090)
	if _, err := session.NewManager(f.store, session.Options{Cookie: session.CookieOptions{Name: huge}}); err == nil {
		t.Error("NewManager with a huge cookie name: got no error")
	}
	if _, err := f.store.Save(ctx, huge, f.record(t), f.clock.Now()); !errors.Is(err, session.ErrTooLarge) {
		t.Errorf("Save with a huge cookie name: got %v, want ErrTooLarge", err)
	}
}

func TestRoundTripAllocations(t *testing.T) {
	if testkit.Race {
		t.Skip("the race detector makes sync.Pool drop scratch buffers at random")
	}
	f := newFixture(t)
	rec := f.record(t)
	allocs := testing.AllocsPerRun(100, func() {
		tok, err := f.save(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.load(tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 12 {
		t.Errorf("round trip: %v allocations, want at most 12", allocs)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	f := newFixture(b)
	tok, _ := f.token(b)
	rec, err := f.load(tok)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(tok)), "cookie-bytes")
	b.ReportAllocs()
	for b.Loop() {
		tok, err := f.save(rec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.load(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	f := newFixture(b)
	tok, _ := f.token(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.load(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSave(b *testing.B) {
	f := newFixture(b)
	rec := f.record(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.save(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// Every payload size seals, whatever the capacity left in pooled buffers:
// sizes sweep across the pool's initial capacity and past it.
func TestEveryPayloadSizeSeals(t *testing.T) {
	f := newFixture(t)
	for n := 1900; n < 2200; n++ {
		d := payload.Data{ID: payload.NewID(), Entries: []payload.Entry{{Key: "pad", Value: []byte(`"` + strings.Repeat("a", n) + `"`)}}}
		tok, err := f.save(&session.Record{Payload: d.Append(nil)})
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if _, err := f.load(tok); err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
	}
}

func TestTokensWithLineBreaksAreInvalid(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	for _, bad := range []string{tok[:20] + "\n" + tok[20:], tok[:20] + "\r\n" + tok[20:], tok + "\n"} {
		if _, err := f.load(bad); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("token with a line break: got %v, want ErrInvalid", err)
		}
	}
}

func TestOversizedTokenAllocatesNothingLarge(t *testing.T) {
	if testkit.Race {
		t.Skip("the race detector makes sync.Pool drop scratch buffers at random")
	}
	f := newFixture(t)
	huge := strings.Repeat("A", 1<<20)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := f.load(huge); !errors.Is(err, session.ErrInvalid) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("rejecting a 1 MiB token: %v allocations, want 0", allocs)
	}
}

// TestSessionThatFitsKeepsFitting: a session that was saved can be saved
// again, unchanged, at any age. Its times take more bytes as it ages, so
// the limit counts them at their largest: otherwise a session near the
// limit fails its next refresh, with nothing changed, and every request
// of its user fails with it.
func TestSessionThatFitsKeepsFitting(t *testing.T) {
	const lifetime = 30 * 24 * time.Hour
	f := newFixture(t)
	m, err := session.NewManager(f.store, session.Options{Now: f.clock.Now, IdleTimeout: lifetime, Lifetime: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	saved := 0
	for n := 2900; n < 3100; n++ {
		start := f.clock.Now()
		r, s := testkit.Load(t, m, nil)
		if err := s.Set("pad", strings.Repeat("a", n)); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		err := m.Save(w, r, s)
		if errors.Is(err, session.ErrTooLarge) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		saved++
		c := w.Result().Cookies()[0]
		for _, age := range []time.Duration{time.Minute, time.Hour, lifetime - time.Second} {
			f.clock.Advance(start.Add(age).Sub(f.clock.Now()))
			r, loaded := testkit.Load(t, m, c)
			if loaded.ID() != s.ID() {
				t.Fatalf("%d bytes, %v later: the session did not load", n, age)
			}
			loaded.Renew()
			if err := m.Save(httptest.NewRecorder(), r, loaded); err != nil {
				t.Fatalf("a session of %d bytes saved again %v later: %v", n, age, err)
			}
		}
	}
	if saved == 0 || saved == 200 {
		t.Fatalf("%d of 200 sizes saved: the sizes miss the limit", saved)
	}
}
