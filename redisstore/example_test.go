package redisstore_test

import (
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/serverstore"
)

func ExampleNew() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	// New and the constructors after it send no command: the client
	// connects on first use.
	client := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
	defer client.Close()
	b, err := redisstore.New(client, redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	store, err := serverstore.New(keys, b, serverstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if _, err := session.NewManager(store, session.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.NativeExpiry())
	// Output: true
}
