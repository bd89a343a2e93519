package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session"
)

// Harness is a store under test with control of its clock.
type Harness struct {
	// Store is the store under test, fresh for each test.
	Store session.Store
	// Now is the store's clock.
	Now func() time.Time
	// Advance moves the store's clock forward.
	Advance func(time.Duration)
	// Stateful is set for stores that keep server records: after Delete,
	// or after Renew and Save, the old token must no longer load.
	Stateful bool
	// Merges is set for stores that merge concurrent saves of one session:
	// saves that change different keys must all survive.
	Merges bool
}

// Run runs the conformance suite, each check as a subtest with a store from
// newHarness.
func Run(t *testing.T, newHarness func(t *testing.T) *Harness) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, h *Harness, m *session.Manager)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"Tampered", testTampered},
		{"Expired", testExpired},
		{"Renew", testRenew},
		{"Destroy", testDestroy},
		{"ConcurrentSaves", testConcurrentSaves},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			m, err := session.NewManager(h.Store, session.Options{Now: h.Now, IdleTimeout: time.Hour, Lifetime: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			c.fn(t, h, m)
		})
	}
}

var ctx = context.Background()

type item struct {
	SKU string
	Qty int
}

func saved(t *testing.T, h *Harness, m *session.Manager) (*session.Session, string) {
	t.Helper()
	s := m.NewSession()
	s.SetUser("user-1")
	s.AddFlash("hello")
	for k, v := range map[string]any{"n": 42, "name": "Ada", "cart": []item{{"BOOK-1", 1}, {"MUG-2", 3}}} {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	token, err := h.Store.Save(ctx, s)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if token == "" {
		t.Fatal("Save returned an empty token")
	}
	return s, token
}

func load(t *testing.T, h *Harness, token string) *session.Session {
	t.Helper()
	s, err := h.Store.Load(ctx, token)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s == nil {
		t.Fatal("Load returned a nil session and no error")
	}
	return s
}

func testRoundTrip(t *testing.T, h *Harness, m *session.Manager) {
	s, token := saved(t, h, m)
	got := load(t, h, token)
	if got.ID() != s.ID() || got.User() != "user-1" {
		t.Errorf("ID, user: got %q %q, want %q user-1", got.ID(), got.User(), s.ID())
	}
	if !slices.Equal(got.Keys(), []string{"cart", "n", "name"}) {
		t.Errorf("Keys: got %v", got.Keys())
	}
	cart, ok, err := session.Value[[]item](got, "cart")
	if err != nil || !ok || len(cart) != 2 || cart[1] != (item{"MUG-2", 3}) {
		t.Errorf("cart: got %v, %v, %v", cart, ok, err)
	}
	if f := got.Flashes(); !slices.Equal(f, []string{"hello"}) {
		t.Errorf("Flashes: got %v", f)
	}
	if !got.CreatedAt().Equal(s.CreatedAt()) || !got.ExpiresAt().Equal(s.ExpiresAt()) {
		t.Errorf("times: got %v %v, want %v %v", got.CreatedAt(), got.ExpiresAt(), s.CreatedAt(), s.ExpiresAt())
	}
	// Saving the loaded session again, changed, gives a token for the change.
	if err := got.Set("n", 43); err != nil {
		t.Fatal(err)
	}
	token2, err := h.Store.Save(ctx, got)
	if err != nil {
		t.Fatalf("second Save: %v", err)
	}
	if n, _, _ := session.Value[int](load(t, h, token2), "n"); n != 43 {
		t.Errorf("after second save: n = %d, want 43", n)
	}
}

func wantInvalid(t *testing.T, h *Harness, what, token string) {
	t.Helper()
	s, err := h.Store.Load(ctx, token)
	if !errors.Is(err, session.ErrInvalid) || s != nil {
		t.Errorf("%s: got %v, %v; want nil, ErrInvalid", what, s, err)
	}
}

func testNotFound(t *testing.T, h *Harness, _ *session.Manager) {
	for _, token := range []string{"", "x", "not a token", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl"} {
		wantInvalid(t, h, fmt.Sprintf("token %q", token), token)
	}
}

func testTampered(t *testing.T, h *Harness, m *session.Manager) {
	_, token := saved(t, h, m)
	for _, i := range []int{0, len(token) / 3, len(token) / 2, len(token) - 2, len(token) - 1} {
		b := []byte(token)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		wantInvalid(t, h, fmt.Sprintf("character %d changed", i), string(b))
	}
	wantInvalid(t, h, "truncated", token[:len(token)-4])
}

func testExpired(t *testing.T, h *Harness, m *session.Manager) {
	s, token := saved(t, h, m)
	h.Advance(s.ExpiresAt().Sub(h.Now()) + time.Minute)
	got, err := h.Store.Load(ctx, token)
	if got != nil || !(errors.Is(err, session.ErrExpired) || errors.Is(err, session.ErrInvalid)) {
		t.Errorf("past expiry: got %v, %v; want nil, ErrExpired or ErrInvalid", got, err)
	}
}

func testRenew(t *testing.T, h *Harness, m *session.Manager) {
	_, token := saved(t, h, m)
	s := load(t, h, token)
	old := s.ID()
	s.Renew()
	newToken, err := h.Store.Save(ctx, s)
	if err != nil {
		t.Fatalf("Save after Renew: %v", err)
	}
	got := load(t, h, newToken)
	if got.ID() == old || got.ID() != s.ID() {
		t.Errorf("renewed ID: got %q, want new %q (old %q)", got.ID(), s.ID(), old)
	}
	if n, _, _ := session.Value[int](got, "n"); n != 42 {
		t.Errorf("value after renew: got %d, want 42", n)
	}
	if h.Stateful {
		wantInvalid(t, h, "token of the old ID", token)
	}
}

func testDestroy(t *testing.T, h *Harness, m *session.Manager) {
	_, token := saved(t, h, m)
	s := load(t, h, token)
	s.Destroy()
	if err := h.Store.Delete(ctx, s); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if h.Stateful {
		wantInvalid(t, h, "token of a deleted session", token)
	}
}

func testConcurrentSaves(t *testing.T, h *Harness, m *session.Manager) {
	const n = 20
	_, token := saved(t, h, m)
	tokens := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			s, err := h.Store.Load(ctx, token)
			if err != nil {
				errs <- fmt.Errorf("Load %d: %w", i, err)
				return
			}
			if err := s.Set(fmt.Sprintf("k%02d", i), i); err != nil {
				errs <- err
				return
			}
			if tokens[i], err = h.Store.Save(ctx, s); err != nil {
				errs <- fmt.Errorf("Save %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	if !h.Merges {
		for i, tok := range tokens {
			if v, ok, _ := session.Value[int](load(t, h, tok), fmt.Sprintf("k%02d", i)); !ok || v != i {
				t.Errorf("save %d: its own key reads %d, %v", i, v, ok)
			}
		}
		return
	}
	final := load(t, h, tokens[n-1])
	for i := range n {
		if v, ok, _ := session.Value[int](final, fmt.Sprintf("k%02d", i)); !ok || v != i {
			t.Errorf("key k%02d: got %d, %v; lost by a concurrent save", i, v, ok)
		}
	}
}
