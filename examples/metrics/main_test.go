package main

import (
	"context"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demotest"
	"github.com/sessionseal/session/internal/testkit"
)

// expvar cannot unpublish a name, so the test binary publishes
// "sessionseal" once, showing the Metrics of the test that runs.
var published atomic.Pointer[Metrics]

func init() {
	expvar.Publish("sessionseal", expvar.Func(func() any {
		if m := published.Load(); m != nil {
			return json.RawMessage(m.String())
		}
		return nil
	}))
}

// recorder keeps every event as text, to look for tokens in it.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Loaded(_ context.Context, e session.LoadEvent) { r.add(fmt.Sprintf("%#v", e)) }
func (r *recorder) Saved(_ context.Context, e session.SaveEvent)  { r.add(fmt.Sprintf("%#v", e)) }

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

// both passes every event to two observers.
type both [2]session.Observer

func (b both) Loaded(ctx context.Context, e session.LoadEvent) {
	b[0].Loaded(ctx, e)
	b[1].Loaded(ctx, e)
}

func (b both) Saved(ctx context.Context, e session.SaveEvent) {
	b[0].Saved(ctx, e)
	b[1].Saved(ctx, e)
}

// snapshot is the "sessionseal" variable of /debug/vars.
type snapshot struct {
	Loads      map[string]int64 `json:"loads"`
	Saves      map[string]int64 `json:"saves"`
	Resealed   int64            `json:"saves_resealed"`
	TokenBytes map[string]int64 `json:"token_bytes"`
	StoreLoad  map[string]int64 `json:"store_load"`
	StoreSave  map[string]int64 `json:"store_save"`
}

func TestCounters(t *testing.T) {
	keys := demotest.Keys(t)
	metrics, events := new(Metrics), new(recorder)
	published.Store(metrics)
	// Sessions expire by Advance, not by sleeping.
	clk := testkit.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	h, err := newHandler(keys, both{metrics, events}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	browser := demotest.Browser(t)

	var issued, forged []string // tokens from Set-Cookie, and the ones the test made up
	send := func(c *http.Client, method, path, cookie string) string {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cookie != "" {
			req.Header.Set("Cookie", "session="+cookie)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, ck := range resp.Cookies() {
			if ck.Value != "" {
				issued = append(issued, ck.Value)
			}
		}
		return strings.TrimSpace(string(body))
	}

	steps := []struct {
		name     string
		method   string
		path     string
		tamper   bool          // send the browser's cookie with one character changed, without the jar
		before   time.Duration // advance the clock first
		wantBody string
	}{
		{name: "no cookie, unchanged", method: "GET", path: "/peek", wantBody: "visits: 0"}, // none
		{name: "no cookie, changed", method: "GET", path: "/visit", wantBody: "visits: 1"},  // none, saved
		{name: "changed", method: "GET", path: "/visit", wantBody: "visits: 2"},             // found, saved
		{name: "unchanged", method: "GET", path: "/peek", wantBody: "visits: 2"},            // found
		{name: "due a refresh", method: "GET", path: "/peek", before: 3 * time.Hour, // past TouchInterval, 2.4h
			wantBody: "visits: 2"}, // found, saved and resealed
		{name: "tampered", method: "GET", path: "/peek", tamper: true, wantBody: "visits: 0"}, // rejected/invalid
		{name: "expired", method: "GET", path: "/peek", before: 25 * time.Hour, // past the 24h idle timeout
			wantBody: "visits: 0"}, // rejected/expired
		{name: "expired, changed", method: "GET", path: "/visit", wantBody: "visits: 1"}, // rejected/expired, saved
		{name: "logout", method: "POST", path: "/logout", wantBody: ""},                  // found, destroyed
	}
	for _, st := range steps {
		clk.Advance(st.before)
		var got string
		if st.tamper {
			u, err := url.Parse(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			cs := browser.Jar.Cookies(u)
			if len(cs) != 1 {
				t.Fatalf("%s: the browser holds %d cookies, want 1", st.name, len(cs))
			}
			forged = append(forged, flip(cs[0].Value))
			got = send(http.DefaultClient, st.method, st.path, forged[len(forged)-1])
		} else {
			got = send(browser, st.method, st.path, "")
		}
		if got != st.wantBody {
			t.Errorf("%s: %s %s = %q, want %q", st.name, st.method, st.path, got, st.wantBody)
		}
	}

	resp, err := http.Get(srv.URL + "/debug/vars")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sessionseal *snapshot `json:"sessionseal"`
	}
	if err := json.Unmarshal(vars, &doc); err != nil {
		t.Fatalf("/debug/vars is not JSON: %v", err)
	}
	if doc.Sessionseal == nil {
		t.Fatalf("/debug/vars lacks the sessionseal variable:\n%s", vars)
	}
	got := doc.Sessionseal

	for _, c := range []struct {
		name      string
		got, want map[string]int64
	}{
		{"loads", got.Loads, map[string]int64{
			"none": 2, "cookie/found": 4, "cookie/rejected/invalid": 1, "cookie/rejected/expired": 2}},
		{"saves", got.Saves, map[string]int64{"cookie/saved": 4, "destroyed": 1}},
		{"token_bytes", got.TokenBytes, wantHistogram(issued)},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got.Resealed != 1 {
		t.Errorf("saves_resealed = %d, want 1", got.Resealed)
	}
	// Store calls: 7 loads of a token (4 found, 3 rejected) and 5 writes
	// (4 saves, 1 delete). Their durations are whatever they are.
	if got.StoreLoad["count"] != 7 || got.StoreSave["count"] != 5 {
		t.Errorf("store call counts: load %d, save %d; want 7 and 5", got.StoreLoad["count"], got.StoreSave["count"])
	}

	events.mu.Lock()
	defer events.mu.Unlock()
	if len(events.events) != 9+5 { // a load event per request, a save event per write
		t.Errorf("%d events, want 14", len(events.events))
	}
	if len(issued) != 4 {
		t.Errorf("the server issued %d tokens, want 4", len(issued))
	}
	for _, tok := range append(issued, forged...) {
		for _, e := range events.events {
			if strings.Contains(e, tok) {
				t.Errorf("event %s contains a token", e)
			}
		}
		if strings.Contains(string(vars), tok) {
			t.Errorf("/debug/vars contains a token")
		}
	}
}

// flip changes one character in the middle of a token, inside the sealed
// part, so that it still decodes but no longer authenticates.
func flip(token string) string {
	b := []byte(token)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// wantHistogram is the token_bytes histogram of the given tokens: buckets
// count the tokens no longer than their bound.
func wantHistogram(tokens []string) map[string]int64 {
	h := map[string]int64{"count": int64(len(tokens))}
	for _, bound := range []int{256, 512, 1024, 2048, 3072, 4096} {
		h[fmt.Sprintf("le_%d", bound)] = 0
	}
	for _, tok := range tokens {
		h["sum"] += int64(len(tok))
		for _, bound := range []int{256, 512, 1024, 2048, 3072, 4096} {
			if len(tok) <= bound {
				h[fmt.Sprintf("le_%d", bound)]++
			}
		}
	}
	return h
}
