package session_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

func ExampleNewManager() {
	keys, err := keyrotation.Generate() // in production: keyrotation.LoadFile
	if err != nil {
		log.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		log.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		n, _, err := session.Value[int](s, "visits")
		if err != nil {
			http.Error(w, "bad session value", http.StatusInternalServerError)
			return
		}
		if err := s.Set("visits", n+1); err != nil {
			http.Error(w, "cannot save", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "visit %d", n+1)
	})
	handler := m.Middleware(mux)

	var cookie *http.Cookie
	for range 3 {
		req := httptest.NewRequest("GET", "/visit", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		cookie = rec.Result().Cookies()[0]
		fmt.Println(rec.Body.String())
	}
	fmt.Println(cookie.Name, cookie.HttpOnly, cookie.Secure, cookie.SameSite == http.SameSiteLaxMode, cookie.Path)
	// Output:
	// visit 1
	// visit 2
	// visit 3
	// __Host-session true true true /
}

func ExampleValue() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		log.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		log.Fatal(err)
	}
	type item struct {
		SKU string
		Qty int
	}
	s, err := m.Load(httptest.NewRequest("GET", "/", nil)) // a request without a cookie: a new session
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Set("cart", []item{{"BOOK-0001", 1}, {"MUG-0042", 2}}); err != nil {
		log.Fatal(err)
	}
	cart, ok, err := session.Value[[]item](s, "cart")
	fmt.Println(len(cart), cart[1].SKU, ok, err)
	_, ok, err = session.Value[[]item](s, "wishlist")
	fmt.Println(ok, err)
	// Output:
	// 2 MUG-0042 true <nil>
	// false <nil>
}

func ExampleSession_SetLifetime() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		log.Fatal(err)
	}
	// Sessions last 7 days by default; "remember me" may ask for up to 90.
	m, err := session.NewManager(store, session.Options{MaxLifetime: 90 * 24 * time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	login := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.SetUser("ada") // a new session ID at this save, against fixation
		if r.FormValue("remember") != "" {
			s.SetLifetime(30*24*time.Hour, 90*24*time.Hour) // and a persistent cookie
		}
	}))
	for _, target := range []string{"/login", "/login?remember=1"} {
		rec := httptest.NewRecorder()
		login.ServeHTTP(rec, httptest.NewRequest("POST", target, nil))
		c := rec.Result().Cookies()[0]
		fmt.Println(target, "Max-Age (days):", c.MaxAge/86400)
	}
	// Output:
	// /login Max-Age (days): 0
	// /login?remember=1 Max-Age (days): 30
}
