package fuzz

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionseal/session"
)

// FuzzCookieHeader sends arbitrary Cookie headers through the middleware:
// duplicates, many cookies, huge values, odd bytes. The handler must always
// run with a usable session, and the response must never be a 5xx.
func FuzzCookieHeader(f *testing.F) {
	name := defaultName
	m := fixedManager(f, fixedStore(f), name)
	req := httptest.NewRequest("GET", "/", nil)
	s, err := m.Load(req)
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Set("n", 1); err != nil {
		f.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, req, s); err != nil {
		f.Fatal(err)
	}
	valid := rec.Result().Cookies()[0].Value
	var ran bool
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran = true
		s := session.From(r.Context())
		n, _, err := session.Value[int](s, "n")
		if err != nil {
			n = 0
		}
		if err := s.Set("n", n+1); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, n+1)
	}))
	f.Add(name + "=" + valid)
	f.Add(name + "=garbage; " + name + "=" + valid)
	f.Add(strings.Repeat(name+"=x;", 50) + name + "=" + valid)
	f.Add(name + `="` + valid + `"`)
	f.Add(name + "=" + strings.Repeat("A", 5000))
	f.Add("a=b; ;;; =; " + name + "; " + name + "==")
	f.Add("\x00\xff" + name + "=\x7f")
	f.Fuzz(func(t *testing.T, header string) {
		ran = false
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["Cookie"] = strings.Split(header, "\n")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !ran {
			t.Fatalf("the handler did not run: status %d", rec.Code)
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for Cookie %q", rec.Code, header)
		}
		if len(rec.Result().Cookies()) != 1 {
			t.Fatalf("the changed session was not saved: %q", rec.Header().Values("Set-Cookie"))
		}
	})
}
