package main

import (
	"flag"
	"fmt"
	"html/template"
	"log"
	"net/http"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	keyFile := flag.String("keys", "", "key ring file (default: a fresh ring in memory)")
	flag.Parse()
	h, err := newHandler(*keyFile)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("cookiedemo listening on http://%s/", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}

func newHandler(keyFile string) (http.Handler, error) {
	keys, err := loadKeys(keyFile)
	if err != nil {
		return nil, err
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		return nil, err
	}
	m, err := session.NewManager(store, session.Options{
		Cookie: session.CookieOptions{Name: "demo-session", AllowInsecureHTTP: true},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", showCart)
	mux.HandleFunc("POST /add", addItem)
	mux.HandleFunc("POST /clear", clearCart)
	return m.Middleware(mux), nil
}

func loadKeys(path string) (*keyrotation.Keyring, error) {
	if path == "" {
		return keyrotation.Generate()
	}
	return keyrotation.LoadFile(path)
}

var page = template.Must(template.New("cart").Parse(`<!doctype html>
<title>sessionseal cookie demo</title>
<h1>Cart</h1>
{{range .Flashes}}<p><em>{{.}}</em></p>{{end}}
<ul>{{range .Cart}}<li>{{.}}</li>{{else}}<li>(empty)</li>{{end}}</ul>
<form method="post" action="/add"><input name="item" placeholder="item" required> <button>Add</button></form>
<form method="post" action="/clear"><button>Clear</button></form>
<p>Session {{.Mode}}, expires {{.Expires}}.</p>
`))

func showCart(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	cart, _, err := session.Value[[]string](s, "cart")
	if err != nil {
		http.Error(w, "unreadable cart", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page.Execute(w, map[string]any{
		"Cart": cart, "Flashes": s.Flashes(), "Mode": s.Mode(), "Expires": s.IdleDeadline().UTC().Format("15:04:05 MST"),
	})
}

func addItem(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	cart, _, err := session.Value[[]string](s, "cart")
	if err != nil {
		http.Error(w, "unreadable cart", http.StatusInternalServerError)
		return
	}
	item := r.FormValue("item")
	if err := s.Set("cart", append(cart, item)); err != nil {
		http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		return
	}
	s.AddFlash(fmt.Sprintf("Added %q.", item))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func clearCart(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	s.Delete("cart")
	s.AddFlash("Cart cleared.")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
