package main

import (
	"bufio"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sessionseal/session/examples/internal/demotest"
	"github.com/sessionseal/session/internal/testkit"
)

func TestPrometheus(t *testing.T) {
	keys := demotest.Keys(t)
	// Sessions expire by Advance, not by sleeping.
	clk := testkit.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	h, err := newHandler(keys, prometheus.NewRegistry(), clk.Now)
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
		{name: "tampered", method: "GET", path: "/peek", tamper: true, wantBody: "visits: 0"}, // invalid
		{name: "expired", method: "GET", path: "/peek", before: 25 * time.Hour, // past the 24h idle timeout
			wantBody: "visits: 0"}, // expired
		{name: "expired, changed", method: "GET", path: "/visit", wantBody: "visits: 1"}, // expired, saved
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

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := scrape(t, string(page))
	kid := strconv.FormatUint(uint64(keys.Keys()[0].ID), 10)
	want := map[string]float64{
		`sessionseal_session_loads_total{sessionseal_result="none",sessionseal_source="none"}`:                              2,
		`sessionseal_session_loads_total{sessionseal_mode="cookie",sessionseal_result="found",sessionseal_source="cookie"}`: 4,
		`sessionseal_session_loads_total{sessionseal_result="invalid",sessionseal_source="cookie"}`:                         1,
		`sessionseal_session_loads_total{sessionseal_result="expired",sessionseal_source="cookie"}`:                         2,
		`sessionseal_session_saves_total{sessionseal_mode="cookie",sessionseal_result="saved"}`:                             4,
		`sessionseal_session_saves_total{sessionseal_mode="cookie",sessionseal_result="destroyed"}`:                         1,
		`sessionseal_session_reseals_total{sessionseal_mode="cookie"}`:                                                      1,
		`sessionseal_token_size_bytes_count{sessionseal_mode="cookie"}`:                                                     4,
		`sessionseal_token_size_bytes_sum{sessionseal_mode="cookie"}`:                                                       float64(totalLen(issued)),
		`sessionseal_token_size_bytes_bucket{le="4096",sessionseal_mode="cookie"}`:                                          4,
		`sessionseal_token_size_bytes_bucket{le="256",sessionseal_mode="cookie"}`:                                           float64(shorter(issued, 256)),
		// 7 loads of a token (4 found, 3 rejected), 5 writes (4 saves, 1 delete).
		`sessionseal_store_duration_seconds_count{sessionseal_operation="load"}`: 7,
		`sessionseal_store_duration_seconds_count{sessionseal_operation="save"}`: 5,
		// One seal per save.
		`sessionseal_key_seals_total{sessionseal_key_id="` + kid + `",sessionseal_key_state="primary"}`: 4,
	}
	for series, w := range want {
		v, ok := got[series]
		if !ok {
			t.Errorf("/metrics lacks %s; it has:\n%s", series, strings.Join(slices.Sorted(maps.Keys(got)), "\n"))
			continue
		}
		if v != w {
			t.Errorf("%s = %v, want %v", series, v, w)
		}
	}
	if len(issued) != 4 {
		t.Errorf("the server issued %d tokens, want 4", len(issued))
	}
	for _, tok := range append(issued, forged...) {
		if strings.Contains(string(page), tok) {
			t.Errorf("/metrics contains a token")
		}
	}
}

// scrape parses the series of a Prometheus text page into their values,
// keyed by name and labels, leaving out the OpenTelemetry scope's labels.
func scrape(t *testing.T, page string) map[string]float64 {
	t.Helper()
	series := make(map[string]float64)
	sc := bufio.NewScanner(strings.NewReader(page))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		name, labels, _ := strings.Cut(line[:sp], "{")
		var keep []string
		for l := range strings.SplitSeq(strings.TrimSuffix(labels, "}"), ",") {
			if l != "" && !strings.HasPrefix(l, "otel_scope_") {
				keep = append(keep, l)
			}
		}
		slices.Sort(keep)
		series[name+"{"+strings.Join(keep, ",")+"}"] = v
	}
	return series
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

func totalLen(tokens []string) (n int) {
	for _, tok := range tokens {
		n += len(tok)
	}
	return n
}

// shorter counts the tokens no longer than bound.
func shorter(tokens []string, bound int) (n int) {
	for _, tok := range tokens {
		if len(tok) <= bound {
			n++
		}
	}
	return n
}
