package keyrotation_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sessionseal/session/keyrotation"
)

// A ring is generated once, written to a file that only its owner can read,
// and loaded by every server.
func Example() {
	dir, err := os.MkdirTemp("", "keyrotation")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "session-keys.json")

	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := keys.WriteFile(path); err != nil {
		log.Fatal(err)
	}

	loaded, err := keyrotation.LoadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("mode:", fi.Mode().Perm())
	fmt.Println("keys:", len(loaded.Keys()))
	fmt.Println("same primary:", loaded.Keys()[0].ID == keys.Keys()[0].ID)
	// Output:
	// mode: -rw-------
	// keys: 1
	// same primary: true
}

func ExampleGenerate() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	k := keys.Keys()[0]
	fmt.Println("keys:", len(keys.Keys()))
	fmt.Println("state:", k.State)
	fmt.Println("id is the primary:", k.ID == keys.Keys()[0].ID)
	// Output:
	// keys: 1
	// state: primary
	// id is the primary: true
}

func ExampleParse() {
	_, err := keyrotation.Parse([]byte(`{"version": 4, "keys": []}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, keyrotation.ErrInvalidKeyring))
	// Output:
	// keyrotation: field "version": unsupported version 4, want 1, 2 or 3
	// true
}

// A rotation goes in stages, each one written to the key ring file and
// deployed to every server before the next.
func ExampleKeyring_Promote() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	// A single server has nothing to wait for; a fleet keeps the default
	// delay, so that Promote refuses a key the other servers may lack.
	if err := keys.SetPropagationDelay(0); err != nil {
		log.Fatal(err)
	}
	old := keys.Keys()[0].ID
	show := func(step string, next uint32) {
		s := map[uint32]string{}
		for _, k := range keys.Keys() {
			s[k.ID] = k.State.String()
		}
		fmt.Printf("%-8s old: %-8s new: %s\n", step, s[old], s[next])
	}

	// 1. Add: servers learn the new key but do not seal with it yet.
	id, err := keys.Add()
	if err != nil {
		log.Fatal(err)
	}
	show("add", id)

	// 2. Once every server has it, seal with it. The old key still opens.
	if err := keys.Promote(id); err != nil {
		log.Fatal(err)
	}
	show("promote", id)

	// 3. After the longest session lifetime, stop opening with the old key.
	// Disable refuses before then: sessions the old key sealed may still
	// be in use.
	err = keys.Disable(old)
	fmt.Println("disable at once:", errors.Is(err, keyrotation.ErrUnsafe))
	info := keys.Keys()[1]
	fmt.Println("disable after:", info.DisableableAt.Sub(info.Demoted))
	// Force skips the wait, for when every session the old key sealed is
	// known to be gone.
	if err := keys.Force(old, keyrotation.Disabled); err != nil {
		log.Fatal(err)
	}
	show("disable", id)

	// The primary key can be neither disabled nor removed.
	err = keys.Disable(id)
	fmt.Println(errors.Is(err, keyrotation.ErrUnsafe))

	// 4. Remove the old key for good.
	if err := keys.Remove(old); err != nil {
		log.Fatal(err)
	}
	show("remove", id)
	// Output:
	// add      old: primary  new: active
	// promote  old: active   new: primary
	// disable at once: true
	// disable after: 168h0m1s
	// disable  old: disabled new: primary
	// true
	// remove   old:          new: primary
}

// Seal with the primary key and record its ID; open with the key that the
// ID names.
func ExampleKeyring_Cipher() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}

	id, c, err := keys.Primary(keyrotation.PurposeCookie)
	if err != nil {
		log.Fatal(err)
	}
	nonce := make([]byte, 12) // a fresh 96-bit nonce for every seal
	if _, err := rand.Read(nonce); err != nil {
		log.Fatal(err)
	}
	sealed := c.Seal(nil, nonce, []byte("cart: 3 items"), []byte("cookie name"))
	// id and nonce are stored beside sealed.

	c, err = keys.Cipher(keyrotation.PurposeCookie, id)
	if err != nil {
		log.Fatal(err)
	}
	plaintext, err := c.Open(nil, nonce, sealed, []byte("cookie name"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", plaintext)

	// A key the ring does not have (or has disabled) opens nothing.
	_, err = keys.Cipher(keyrotation.PurposeCookie, id+1)
	fmt.Println(errors.Is(err, keyrotation.ErrUnknownKey))
	// Output:
	// cart: 3 items
	// true
}

// Keys reports how many values this process sealed with each key, to
// rotate well before 2^32.
func ExampleKeyring_Keys() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := keys.Add(); err != nil {
		log.Fatal(err)
	}
	for _, p := range []keyrotation.Purpose{keyrotation.PurposeCookie, keyrotation.PurposeRecord, keyrotation.PurposeRecord} {
		_, c, err := keys.Primary(p)
		if err != nil {
			log.Fatal(err)
		}
		nonce := make([]byte, 12)
		if _, err := rand.Read(nonce); err != nil {
			log.Fatal(err)
		}
		c.Seal(nil, nonce, []byte("session"), nil)
	}
	for _, k := range keys.Keys() {
		fmt.Println(k.State, k.Seals)
	}
	// Output:
	// primary 3
	// active 0
}
