package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demotest"
)

// newClient starts the example's handler, with the routes that addRoutes
// adds for the test, and returns a client that keeps cookies like a browser.
func newClient(t *testing.T, addRoutes ...func(*echo.Echo)) (*http.Client, string) {
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
	return demotest.Browser(t), srv.URL
}

// do sends a request and returns the response with its body read.
func do(t *testing.T, c *http.Client, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
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
	return resp, string(body)
}

func TestCartAcrossRoutes(t *testing.T) {
	c, base := newClient(t)
	do(t, c, http.MethodPut, base+"/cart/book")
	do(t, c, http.MethodPut, base+"/cart/book")
	do(t, c, http.MethodPut, base+"/cart/mug")

	resp, body := do(t, c, http.MethodGet, base+"/cart/book")
	var item struct {
		SKU string
		Qty int
	}
	if err := json.Unmarshal([]byte(body), &item); err != nil {
		t.Fatalf("GET /cart/book: %v in %q", err, body)
	}
	if item.SKU != "book" || item.Qty != 2 {
		t.Errorf("GET /cart/book = %+v, want book 2", item)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("GET /cart/book changed nothing but set cookies %q", sc)
	}

	_, body = do(t, c, http.MethodGet, base+"/cart")
	var cart map[string]int
	if err := json.Unmarshal([]byte(body), &cart); err != nil {
		t.Fatalf("GET /cart: %v in %q", err, body)
	}
	if len(cart) != 2 || cart["book"] != 2 || cart["mug"] != 1 {
		t.Errorf("GET /cart = %v, want map[book:2 mug:1]", cart)
	}
}

// TestCookieBeforeFirstByte checks that a handler that sets a value and then
// answers with c.String sends the new cookie with that answer.
func TestCookieBeforeFirstByte(t *testing.T) {
	c, base := newClient(t)
	for i := range 2 {
		resp, body := do(t, c, http.MethodPut, base+"/cart/book")
		if resp.StatusCode != http.StatusOK || body != "added book\n" {
			t.Fatalf("PUT /cart/book #%d = %d %q, want 200 %q", i+1, resp.StatusCode, body, "added book\n")
		}
		sc := resp.Header.Values("Set-Cookie")
		if len(sc) != 1 || !strings.HasPrefix(sc[0], "session=") || !strings.Contains(sc[0], "HttpOnly") {
			t.Errorf("PUT /cart/book #%d: Set-Cookie = %q, want one HttpOnly session cookie", i+1, sc)
		}
		if got := resp.Header.Values("Vary"); !slices.Contains(got, "Cookie") {
			t.Errorf("PUT /cart/book #%d: Vary = %q, want Cookie", i+1, got)
		}
	}
}

// TestHandlerError checks that a handler's error reaches Echo's error
// handler after the Manager saved what the handler had changed.
func TestHandlerError(t *testing.T) {
	c, base := newClient(t, func(e *echo.Echo) {
		e.POST("/fail", func(c echo.Context) error {
			if err := session.From(c.Request().Context()).Set("cart", map[string]int{"kept": 1}); err != nil {
				return err
			}
			return echo.NewHTTPError(http.StatusConflict, "out of stock")
		})
	})
	resp, body := do(t, c, http.MethodPost, base+"/fail")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "out of stock") {
		t.Errorf("POST /fail = %d %q, want 409 from Echo's error handler", resp.StatusCode, body)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 1 {
		t.Errorf("POST /fail: Set-Cookie = %q, want the changed session's cookie", sc)
	}
	_, body = do(t, c, http.MethodGet, base+"/cart")
	if strings.TrimSpace(body) != `{"kept":1}` {
		t.Errorf("GET /cart after the error = %q, want {\"kept\":1}", body)
	}
}
