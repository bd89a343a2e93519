package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/sessionseal/session/examples/internal/demotest"
)

// newClient starts the example's handler and returns a client that keeps
// cookies like a browser.
func newClient(t *testing.T) (*http.Client, string) {
	t.Helper()
	h, err := newHandler(demotest.Keys(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return demotest.Browser(t), srv.URL
}

// do sends a request and decodes a JSON answer into dst, if dst is not nil.
func do(t *testing.T, c *http.Client, method, url string, header http.Header, dst any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if dst != nil {
		if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
			t.Fatalf("%s %s: decoding the answer: %v", method, url, err)
		}
	}
	return resp
}

func TestCartAcrossRoutes(t *testing.T) {
	c, base := newClient(t)
	for _, sku := range []string{"book", "book", "mug"} {
		var got struct{ Qty int }
		resp := do(t, c, http.MethodPut, base+"/cart/"+sku, nil, &got)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT /cart/%s: status %d, want 200", sku, resp.StatusCode)
		}
		if len(resp.Header.Values("Set-Cookie")) != 1 {
			t.Errorf("PUT /cart/%s changed the session but set %d cookies, want 1", sku, len(resp.Header.Values("Set-Cookie")))
		}
	}

	// Another route, with its own URL parameter, reads what PUT stored.
	var item struct {
		SKU string
		Qty int
	}
	resp := do(t, c, http.MethodGet, base+"/cart/book", nil, &item)
	if item.SKU != "book" || item.Qty != 2 {
		t.Errorf("GET /cart/book = %+v, want book 2", item)
	}
	if n := len(resp.Header.Values("Set-Cookie")); n != 0 {
		t.Errorf("GET /cart/book changed nothing but set %d cookies", n)
	}

	do(t, c, http.MethodDelete, base+"/cart/mug", nil, nil)
	var cart struct{ Items map[string]int }
	do(t, c, http.MethodGet, base+"/cart", nil, &cart)
	if len(cart.Items) != 1 || cart.Items["book"] != 2 {
		t.Errorf("GET /cart after DELETE /cart/mug = %v, want map[book:2]", cart.Items)
	}
}

// TestChiMiddleware checks that chi's RequestID and Recoverer work around
// the session middleware.
func TestChiMiddleware(t *testing.T) {
	c, base := newClient(t)
	do(t, c, http.MethodPut, base+"/cart/book", nil, nil)

	t.Run("RequestID", func(t *testing.T) {
		var got struct {
			RequestID string `json:"request_id"`
			Items     map[string]int
		}
		do(t, c, http.MethodGet, base+"/cart", http.Header{middleware.RequestIDHeader: {"req-42"}}, &got)
		if got.RequestID != "req-42" {
			t.Errorf("request ID in the handler = %q, want %q", got.RequestID, "req-42")
		}
		if got.Items["book"] != 1 {
			t.Errorf("session cart next to the request ID = %v, want map[book:1]", got.Items)
		}
	})

	t.Run("Recoverer", func(t *testing.T) {
		resp := do(t, c, http.MethodPost, base+"/panic", nil, nil)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("POST /panic: status %d, want 500 from Recoverer", resp.StatusCode)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("POST /panic set a cookie after the handler panicked: %q", sc)
		}
		var cart struct{ Items map[string]int }
		do(t, c, http.MethodGet, base+"/cart", nil, &cart)
		if len(cart.Items) != 1 || cart.Items["book"] != 1 {
			t.Errorf("cart after the panic = %v, want the previous map[book:1]", cart.Items)
		}
	})
}
