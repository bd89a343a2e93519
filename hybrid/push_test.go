package hybrid_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

// pushing is a memstore backend that pushes stamp changes to the watches
// of every store over it, and whose watches end when broken is closed.
type pushing struct {
	serverstore.Backend
	mu       sync.Mutex
	watches  []func(key []byte)
	silent   bool          // raise stamps without telling the watches
	broken   chan struct{} // closed: the watches fail
	watching chan struct{} // receives once per watch in place
}

func newPushing() *pushing {
	return &pushing{Backend: memstore.New(memstore.Options{}), broken: make(chan struct{}), watching: make(chan struct{}, 16)}
}

func (p *pushing) RaiseStamp(ctx context.Context, key []byte, st *serverstore.Stamp) (*serverstore.Stamp, error) {
	got, err := p.Backend.RaiseStamp(ctx, key, st)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.silent {
		for _, changed := range p.watches {
			changed(key)
		}
	}
	return got, err
}

func (p *pushing) WatchStamps(ctx context.Context, changed func(key []byte)) error {
	p.mu.Lock()
	p.watches = append(p.watches, changed)
	broken := p.broken
	p.mu.Unlock()
	changed(nil)
	select {
	case p.watching <- struct{}{}:
	default:
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-broken:
		return errors.New("connection lost")
	}
}

// TestPushedRevocationReachesOtherServers: with a backend that pushes
// stamp changes, a RevokeUser on one server refuses the user's cookie on
// another at once, though its cached stamp is fresh; when the watch of
// stamps fails, every cached stamp is dropped, since changes may have gone
// unseen.
func TestPushedRevocationReachesOtherServers(t *testing.T) {
	d := newDevices(t)
	p := newPushing()
	d.b = p
	d.server, d.store, d.m = d.node(t, p)
	_, _, d.other = d.node(t, p)
	for range 2 {
		select {
		case <-p.watching:
		case <-time.After(10 * time.Second):
			t.Fatal("no watch of stamps")
		}
	}

	_, alice := d.login(t, d.m, "alice", false)
	if !works(t, d.other, alice, "alice") {
		t.Fatal("alice's cookie does not work on the other server")
	}
	if _, err := d.m.RevokeUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if works(t, d.other, alice, "alice") {
		t.Error("the other server accepts the revoked cookie, within its cache's lifetime, after a push")
	}

	d.clock.Advance(time.Second)
	_, bob := d.login(t, d.m, "bob", false)
	if !works(t, d.other, bob, "bob") {
		t.Fatal("bob's cookie does not work on the other server")
	}
	p.mu.Lock()
	p.silent = true
	p.mu.Unlock()
	if _, err := d.m.RevokeUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if !works(t, d.other, bob, "bob") {
		t.Fatal("a revocation that was not pushed reached the other server's fresh cache")
	}
	close(p.broken)
	deadline := time.Now().Add(10 * time.Second)
	for works(t, d.other, bob, "bob") {
		if time.Now().After(deadline) {
			t.Fatal("the other server kept its cached stamp after its watch of stamps failed")
		}
		time.Sleep(time.Millisecond)
	}
}
