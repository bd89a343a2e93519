package memstore_test

import (
	"fmt"
	"log"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/memstore"
	"github.com/sessionseal/session/serverstore"
)

func ExampleNew() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	b := memstore.New(memstore.Options{MaxRecords: 10_000})
	store, err := serverstore.New(keys, b, serverstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := session.NewManager(store, session.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.NativeExpiry())
	// Output: false
}
