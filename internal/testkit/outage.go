package testkit

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Outage runs clients against url, a KVServer of a Manager over a server
// store, while stop takes the store's database down and restart brings it
// back on the same address: during the outage every request gets a 503
// and keeps its cookie; afterwards the same process serves them again, and
// no change the database acknowledged is lost. The clients stop before
// Outage returns, also when stop or restart ends the test (t.Fatal,
// t.Skip).
func Outage(t *testing.T, url string, stop, restart func()) {
	t.Helper()
	const clients = 4
	var (
		down      atomic.Bool // set while the server is down
		statusMu  sync.Mutex
		byStatus  = map[int]int{}
		cookies   [clients]*http.Cookie
		acked     [clients]atomic.Int64 // last value each client got a 200 for
		kept      [clients]atomic.Int64 // 503s during the outage that kept the cookie
		badCookie atomic.Int64
		done      = make(chan struct{})
		wg        sync.WaitGroup
	)
	for i := range clients {
		wg.Go(func() {
			// The first change marks the session, to tell it from a new
			// one after the restart.
			path := fmt.Sprintf("/set?k=origin&v=%d", i)
			for v := int64(1); ; v++ {
				select {
				case <-done:
					return
				default:
				}
				code, _, got := Request(t, url+path, "session", cookies[i])
				statusMu.Lock()
				byStatus[code]++
				statusMu.Unlock()
				switch code {
				case http.StatusOK:
					cookies[i] = got
					acked[i].Store(v)
					path = fmt.Sprintf("/set?k=v&v=%d", v+1)
				case http.StatusServiceUnavailable:
					if got != cookies[i] {
						badCookie.Add(1)
					} else if down.Load() {
						kept[i].Add(1)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	// The clients use t: they must be done before the test is, whatever
	// ends it.
	stopClients := sync.OnceFunc(func() {
		close(done)
		wg.Wait()
	})
	defer stopClients()
	WaitFor(t, "every client's first changes", func() bool {
		for i := range clients {
			if acked[i].Load() < 5 {
				return false
			}
		}
		return true
	})
	down.Store(true)
	stop()
	stopped := time.Now()
	WaitFor(t, "503s during the outage", func() bool {
		for i := range clients {
			if kept[i].Load() < 3 {
				return false
			}
		}
		return true
	})
	before := [clients]int64{}
	for i := range clients {
		before[i] = acked[i].Load()
	}
	restart()
	restarted := time.Now()
	down.Store(false)
	WaitFor(t, "changes after the restart", func() bool {
		for i := range clients {
			if acked[i].Load() < before[i]+5 {
				return false
			}
		}
		return true
	})
	recovered := time.Now()
	stopClients()

	statusMu.Lock()
	defer statusMu.Unlock()
	for code, n := range byStatus {
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("%d responses with status %d, want only 200 and 503", n, code)
		}
	}
	if n := badCookie.Load(); n != 0 {
		t.Errorf("%d responses of 503 changed the client's cookie", n)
	}
	for i, c := range cookies {
		if _, body, _ := Request(t, url+"/get?k=origin", "session", c); body != strconv.Itoa(i) {
			t.Errorf("client %d: origin %q, want %d: its session did not survive the restart", i, body, i)
		}
		if _, body, _ := Request(t, url+"/get?k=v", "session", c); body != strconv.FormatInt(acked[i].Load(), 10) {
			t.Errorf("client %d: value %q, want %d, the last one acknowledged", i, body, acked[i].Load())
		}
	}
	t.Logf("responses by status: %v; server stopped for %v; five more changes per client %v after Restart returned",
		byStatus, restarted.Sub(stopped).Round(time.Millisecond), recovered.Sub(restarted).Round(time.Millisecond))
}

// WaitFor polls cond until it holds, failing the test after 30 seconds.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
