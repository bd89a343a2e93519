package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessionseal/session"
)

type cartItem struct {
	SKU string
	Qty int
}

// BenchmarkMiddlewareRead is a request through the middleware that reads
// one value of the reference session and changes nothing.
func BenchmarkMiddlewareRead(b *testing.B) {
	m := newManager(b)
	var got string
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _, _ = session.Value[string](session.From(r.Context()), "user_id")
	}))
	setup := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.Set("user_id", "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L")
		s.Set("role", "editor")
		s.Set("cart", []cartItem{{"BOOK-0001", 1}, {"MUG-0042", 2}, {"PEN-0007", 10}})
		s.Set("flash", "Your cart was saved.")
		s.Set("csrf", "kq3V1pXo9bA2sLr7TnE4wYc8HfJ0")
	}))
	rec := httptest.NewRecorder()
	setup.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	cookie := rec.Result().Cookies()[0]
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
	if got != "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L" {
		b.Fatalf("handler read %q", got)
	}
}
