package cookiestore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

func ExampleNew() {
	keys, err := keyrotation.Generate() // in production: keyrotation.LoadFile
	if err != nil {
		log.Fatal(err)
	}
	store, err := cookiestore.New(keys, cookiestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		log.Fatal(err)
	}

	s := m.NewSession()
	if err := s.Set("cart", []string{"BOOK-0001", "MUG-0042"}); err != nil {
		log.Fatal(err)
	}
	token, err := store.Save(context.Background(), s)
	if err != nil {
		log.Fatal(err)
	}
	loaded, err := store.Load(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	cart, _, err := session.Value[[]string](loaded, "cart")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.CookieName(), loaded.Mode(), cart)
	// Output: __Host-session cookie [BOOK-0001 MUG-0042]
}
