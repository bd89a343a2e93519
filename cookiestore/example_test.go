package cookiestore_test

import (
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

func ExampleNew() {
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

	// One request sets a value; the store seals the session into the cookie.
	r := httptest.NewRequest("GET", "/", nil)
	s, err := m.Load(r)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Set("cart", []string{"BOOK-0001", "MUG-0042"}); err != nil {
		log.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		log.Fatal(err)
	}
	cookie := w.Result().Cookies()[0]

	// The next request carries the cookie back, and the store opens it.
	next := httptest.NewRequest("GET", "/", nil)
	next.AddCookie(cookie)
	loaded, err := m.Load(next)
	if err != nil {
		log.Fatal(err)
	}
	cart, _, err := session.Value[[]string](loaded, "cart")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cookie.Name, loaded.Mode(), cart)
	// Output: __Host-session cookie [BOOK-0001 MUG-0042]
}
