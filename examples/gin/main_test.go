package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demotest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no debug banner and route list
	os.Exit(m.Run())
}

// newServer starts the example's engine, with the routes that addRoutes
// adds for the test.
func newServer(t *testing.T, addRoutes ...func(*gin.Engine)) string {
	t.Helper()
	e, err := newHandler(demotest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, add := range addRoutes {
		add(e)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// send sends a request and returns the response with its body read. A
// non-empty bearer goes in the Authorization header.
func send(c *http.Client, method, url, bearer string) (*http.Response, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, "", err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

// do is send for the test's goroutine: it stops the test on an error.
func do(t *testing.T, c *http.Client, method, url, bearer string) (*http.Response, string) {
	t.Helper()
	resp, body, err := send(c, method, url, bearer)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func decode(t *testing.T, body string, dst any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), dst); err != nil {
		t.Fatalf("decoding %q: %v", body, err)
	}
}

func TestCartRoundTrip(t *testing.T) {
	base := newServer(t)
	c := demotest.Browser(t)
	for i, sku := range []string{"book", "book", "mug"} {
		resp, body := do(t, c, http.MethodPut, base+"/cart/"+sku, "")
		// c.JSON after s.Set: the cookie must be on this very response.
		sc := resp.Header.Values("Set-Cookie")
		if len(sc) != 1 || !strings.HasPrefix(sc[0], "session=") {
			t.Errorf("PUT #%d /cart/%s: Set-Cookie = %q, want the session cookie", i+1, sku, sc)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("PUT #%d /cart/%s: Content-Type = %q, want application/json set by c.JSON after the save", i+1, sku, ct)
		}
		var got struct{ Qty int }
		decode(t, body, &got)
	}

	resp, body := do(t, c, http.MethodGet, base+"/cart", "")
	var got struct{ Items map[string]int }
	decode(t, body, &got)
	if len(got.Items) != 2 || got.Items["book"] != 2 || got.Items["mug"] != 1 {
		t.Errorf("GET /cart = %v, want map[book:2 mug:1]", got.Items)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("GET /cart changed nothing but set cookies %q", sc)
	}
}

// TestHeaderWithoutBody checks the writes that send the header with no body
// byte: c.AbortWithStatus, and WriteHeaderNow called alone, which skips
// WriteHeader. The cookie must go out with them.
func TestHeaderWithoutBody(t *testing.T) {
	base := newServer(t, func(e *gin.Engine) {
		e.POST("/seen/:how", func(c *gin.Context) {
			if err := session.From(c.Request.Context()).Set("seen", c.Param("how")); err != nil {
				c.AbortWithStatus(http.StatusInternalServerError)
				return
			}
			switch c.Param("how") {
			case "abort":
				c.AbortWithStatus(http.StatusNoContent)
			case "now":
				c.Writer.WriteHeaderNow()
			}
		})
	})
	for _, tc := range []struct {
		how  string
		want int
	}{
		{"abort", http.StatusNoContent},
		{"now", http.StatusOK},
	} {
		t.Run(tc.how, func(t *testing.T) {
			resp, _ := do(t, demotest.Browser(t), http.MethodPost, base+"/seen/"+tc.how, "")
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if sc := resp.Header.Values("Set-Cookie"); len(sc) != 1 {
				t.Errorf("Set-Cookie = %q, want the changed session's cookie", sc)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	base := newServer(t)
	c := demotest.Browser(t)
	do(t, c, http.MethodPut, base+"/cart/book", "")
	_, body := do(t, c, http.MethodPost, base+"/token", "")
	var tok struct{ Token string }
	decode(t, body, &tok)
	if tok.Token == "" {
		t.Fatalf("POST /token = %q, want a token", body)
	}

	api := &http.Client{} // no cookies: the token alone carries the session
	resp, body := do(t, api, http.MethodPut, base+"/cart/mug", tok.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /cart/mug with the bearer token: %d %q", resp.StatusCode, body)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("bearer PUT set cookies %q, want none", sc)
	}
	next := resp.Header.Get("Session-Token")
	if next == "" {
		t.Fatalf("bearer PUT changed the session but sent no Session-Token header")
	}
	_, body = do(t, api, http.MethodGet, base+"/cart", next)
	var got struct{ Items map[string]int }
	decode(t, body, &got)
	if got.Items["book"] != 1 || got.Items["mug"] != 1 {
		t.Errorf("GET /cart with the new token = %v, want map[book:1 mug:1]", got.Items)
	}
}

// TestManagerAnswers checks that when the Manager refuses a request by
// itself, the adapter stops Gin's chain: the handler does not run after the
// 401.
func TestManagerAnswers(t *testing.T) {
	var ran atomic.Int32
	base := newServer(t, func(e *gin.Engine) {
		e.GET("/probe", func(c *gin.Context) {
			ran.Add(1)
			c.String(http.StatusOK, "handler ran")
		})
	})
	resp, body := do(t, &http.Client{}, http.MethodGet, base+"/probe", "not-a-token")
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("GET /probe with a foreign bearer token = %d, WWW-Authenticate %q; want 401 with the header",
			resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if strings.Contains(body, "handler ran") || ran.Load() != 0 {
		t.Errorf("the handler ran after the Manager refused the token; body %q", body)
	}
}

// TestPanicSavesNothing checks that gin.Recovery answers a panicking handler
// through Gin's own writer, so the change made before the panic is lost.
func TestPanicSavesNothing(t *testing.T) {
	base := newServer(t, func(e *gin.Engine) {
		e.POST("/panic", func(c *gin.Context) {
			if err := session.From(c.Request.Context()).Set("cart", map[string]int{"half-done": 1}); err != nil {
				c.AbortWithStatus(http.StatusInternalServerError)
				return
			}
			panic("handler failed after changing the session")
		})
	})
	c := demotest.Browser(t)
	do(t, c, http.MethodPut, base+"/cart/book", "")
	resp, _ := do(t, c, http.MethodPost, base+"/panic", "")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("POST /panic: status %d, want 500 from gin.Recovery", resp.StatusCode)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("POST /panic set cookies %q after the handler panicked", sc)
	}
	_, body := do(t, c, http.MethodGet, base+"/cart", "")
	var got struct{ Items map[string]int }
	decode(t, body, &got)
	if len(got.Items) != 1 || got.Items["book"] != 1 {
		t.Errorf("cart after the panic = %v, want the previous map[book:1]", got.Items)
	}
}

// TestConcurrentClients runs browsers in parallel, for the race detector:
// Gin reuses its contexts, and the adapter swaps their writers.
func TestConcurrentClients(t *testing.T) {
	base := newServer(t)
	const clients, puts = 8, 10
	var wg sync.WaitGroup
	for i := range clients {
		c := demotest.Browser(t)
		wg.Go(func() {
			sku := fmt.Sprintf("sku-%d", i)
			for range puts {
				resp, body, err := send(c, http.MethodPut, base+"/cart/"+sku, "")
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("client %d: PUT /cart/%s = %v %q, want 200", i, sku, err, body)
					return
				}
			}
			_, body, err := send(c, http.MethodGet, base+"/cart", "")
			var got struct{ Items map[string]int }
			if err == nil {
				err = json.Unmarshal([]byte(body), &got)
			}
			if err != nil {
				t.Errorf("client %d: GET /cart = %q: %v", i, body, err)
				return
			}
			if len(got.Items) != 1 || got.Items[sku] != puts {
				t.Errorf("client %d: cart = %v, want map[%s:%d]", i, got.Items, sku, puts)
			}
		})
	}
	wg.Wait()
}
