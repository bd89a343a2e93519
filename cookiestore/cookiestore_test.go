package cookiestore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

var ctx = context.Background()

type fixture struct {
	keys  *keyrotation.Keyring
	clock *testkit.Clock
	store *cookiestore.Store
	m     *session.Manager
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{keys: keys, clock: testkit.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))}
	f.store, err = cookiestore.New(keys, cookiestore.Options{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.m, err = session.NewManager(f.store, session.Options{Now: f.clock.Now})
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

func (f *fixture) token(t testing.TB) (string, *session.Session) {
	t.Helper()
	s := f.m.NewSession()
	reference(t, s)
	tok, err := f.store.Save(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return tok, s
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	tok, s := f.token(t)
	got, err := f.store.Load(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID() != s.ID() || got.Mode() != session.ModeCookie {
		t.Errorf("ID/mode: got %q %v, want %q cookie", got.ID(), got.Mode(), s.ID())
	}
	cart, ok, err := session.Value[[]item](got, "cart")
	if err != nil || !ok || len(cart) != 3 || cart[2] != (item{"PEN-0007", 10}) {
		t.Errorf("cart: got %v, %v, %v", cart, ok, err)
	}
	if want := []string{"cart", "csrf", "flash", "role", "user_id"}; fmt.Sprint(got.Keys()) != fmt.Sprint(want) {
		t.Errorf("Keys: got %v, want %v", got.Keys(), want)
	}
	tok2, err := f.store.Save(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if tok2 == tok {
		t.Error("two seals of one session gave the same token: nonce reused")
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
			_, err := f.store.Load(ctx, encode(b))
			if !errors.Is(err, session.ErrInvalid) {
				t.Fatalf("byte %d ^ %#x: got %v, want ErrInvalid", i, mask, err)
			}
		}
	}
	// The same at the text level, for every character.
	for i := range tok {
		b := []byte(tok)
		b[i] = testkit.Flip(b[i])
		if _, err := f.store.Load(ctx, string(b)); !errors.Is(err, session.ErrInvalid) {
			t.Fatalf("character %d: got %v, want ErrInvalid", i, err)
		}
	}
}

func TestTruncationAtEveryLength(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	for n := range len(tok) {
		if _, err := f.store.Load(ctx, tok[:n]); !errors.Is(err, session.ErrInvalid) {
			t.Fatalf("length %d of %d: got %v, want ErrInvalid", n, len(tok), err)
		}
	}
	if _, err := f.store.Load(ctx, tok+"A"); !errors.Is(err, session.ErrInvalid) {
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
			if _, err := f.store.Load(ctx, tok); !errors.Is(err, session.ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	tok, s := f.token(t)
	f.clock.Advance(s.ExpiresAt().Sub(f.clock.Now()) - time.Second)
	if _, err := f.store.Load(ctx, tok); err != nil {
		t.Fatalf("one second before the deadline: %v", err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.store.Load(ctx, tok); !errors.Is(err, session.ErrExpired) {
		t.Errorf("at the deadline: got %v, want ErrExpired", err)
	}
}

func TestWrongCookieName(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	other, err := cookiestore.New(f.keys, cookiestore.Options{CookieName: "__Host-other", Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Load(ctx, tok); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("token under another cookie name: got %v, want ErrInvalid", err)
	}
}

func TestUnknownAndDisabledKeys(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	old := f.keys.PrimaryID()
	testkit.Rotate(t, f.keys)
	s, err := f.store.Load(ctx, tok)
	if err != nil {
		t.Fatalf("token under the active old primary: %v", err)
	}
	if s == nil {
		t.Fatal("nil session")
	}
	if err := f.keys.Disable(old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Load(ctx, tok); !errors.Is(err, session.ErrUnknownKey) || !errors.Is(err, session.ErrInvalid) {
		t.Errorf("disabled key: got %v, want ErrUnknownKey and ErrInvalid", err)
	}
	if err := f.keys.Remove(old); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Load(ctx, tok); !errors.Is(err, session.ErrUnknownKey) {
		t.Errorf("removed key: got %v, want ErrUnknownKey", err)
	}
}

// The size limit is exact: a cookie of 4096 bytes (name plus value) is
// made, one of 4097 refused.
func TestSizeLimitIsExact(t *testing.T) {
	f := newFixture(t)
	name := f.store.CookieName()
	seen := map[int]bool{}
	for n := 2900; n < 3100; n++ {
		s := f.m.NewSession()
		if err := s.Set("pad", strings.Repeat("a", n)); err != nil {
			t.Fatal(err)
		}
		tok, err := f.store.Save(ctx, s)
		var se *session.SizeError
		switch {
		case err == nil:
			size := len(name) + len(tok)
			if size > session.MaxCookieSize {
				t.Fatalf("made a cookie of %d bytes", size)
			}
			seen[size] = true
			if _, err := f.store.Load(ctx, tok); err != nil {
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
			t.Errorf("no session gave a cookie of exactly %d bytes", size)
		}
	}
}

func TestNewRefusesBadArguments(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cookiestore.New(nil, cookiestore.Options{}); err == nil {
		t.Error("nil key ring: got no error")
	}
	if _, err := cookiestore.New(keys, cookiestore.Options{CookieName: strings.Repeat("n", 4090)}); err == nil {
		t.Error("huge cookie name: got no error")
	}
}

func TestRoundTripAllocations(t *testing.T) {
	f := newFixture(t)
	_, s := f.token(t)
	allocs := testing.AllocsPerRun(100, func() {
		tok, err := f.store.Save(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Load(ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 12 {
		t.Errorf("round trip: %v allocations, want at most 12", allocs)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	f := newFixture(b)
	tok, s := f.token(b)
	b.ReportMetric(float64(len(tok)), "cookie-bytes")
	b.ReportAllocs()
	for b.Loop() {
		tok, err := f.store.Save(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.store.Load(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	f := newFixture(b)
	tok, _ := f.token(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.store.Load(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSave(b *testing.B) {
	f := newFixture(b)
	_, s := f.token(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.store.Save(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

// Every payload size seals, whatever the capacity left in pooled buffers:
// sizes sweep across the pool's initial capacity and past it.
func TestEveryPayloadSizeSeals(t *testing.T) {
	f := newFixture(t)
	for n := 1900; n < 2200; n++ {
		s := f.m.NewSession()
		if err := s.Set("pad", strings.Repeat("a", n)); err != nil {
			t.Fatal(err)
		}
		tok, err := f.store.Save(ctx, s)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if _, err := f.store.Load(ctx, tok); err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
	}
}

func TestTokensWithLineBreaksAreInvalid(t *testing.T) {
	f := newFixture(t)
	tok, _ := f.token(t)
	for _, bad := range []string{tok[:20] + "\n" + tok[20:], tok[:20] + "\r\n" + tok[20:], tok + "\n"} {
		if _, err := f.store.Load(ctx, bad); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("token with a line break: got %v, want ErrInvalid", err)
		}
	}
}

func TestOversizedTokenAllocatesNothingLarge(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("A", 1<<20)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := f.store.Load(ctx, huge); !errors.Is(err, session.ErrInvalid) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("rejecting a 1 MiB token: %v allocations, want 0", allocs)
	}
}
