package serverstore_test

import (
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

func Example() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	store, err := serverstore.New(keys, memstore.New(memstore.Options{}), serverstore.Options{Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		log.Fatal(err)
	}

	// One request: a new session with a cart.
	r := httptest.NewRequest("GET", "/", nil)
	s, err := m.Load(r)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Set("cart", []string{"BOOK-1"}); err != nil {
		log.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		log.Fatal(err)
	}
	c := w.Result().Cookies()[0]
	fmt.Println(s.Mode(), len(c.Value) < 200)

	// The next request of the client finds it in the store.
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	if s, err = m.Load(r); err != nil {
		log.Fatal(err)
	}
	cart, _, err := session.Value[[]string](s, "cart")
	fmt.Println(cart, err)
	// Output:
	// server true
	// [BOOK-1] <nil>
}
