package main

import (
	"encoding/json"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demo"
	"github.com/sessionseal/session/keyrotation"
)

func main() { demo.Serve("chi", newHandler, "/cart") }

// newHandler returns the chi router with sessions sealed under keys.
func newHandler(keys *keyrotation.Keyring) (http.Handler, error) {
	m, err := demo.NewManager(keys, session.Options{})
	if err != nil {
		return nil, err
	}
	r := chi.NewRouter()
	// Recoverer outside the Manager: see the package doc.
	r.Use(middleware.RequestID, middleware.Recoverer, m.Middleware)
	r.Get("/cart", showCart)
	r.Get("/cart/{sku}", showItem)
	r.Put("/cart/{sku}", addItem)
	r.Delete("/cart/{sku}", removeItem)
	r.Post("/panic", setThenPanic)
	return r, nil
}

func showCart(w http.ResponseWriter, r *http.Request) {
	cart, err := demo.Cart(session.From(r.Context()))
	if err != nil {
		http.Error(w, "unreadable cart", http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"request_id": middleware.GetReqID(r.Context()), "items": cart})
}

func showItem(w http.ResponseWriter, r *http.Request) {
	cart, err := demo.Cart(session.From(r.Context()))
	if err != nil {
		http.Error(w, "unreadable cart", http.StatusInternalServerError)
		return
	}
	sku := chi.URLParam(r, "sku")
	writeJSON(w, map[string]any{"sku": sku, "qty": cart[sku]})
}

func addItem(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	cart, err := demo.Cart(s)
	if err != nil {
		http.Error(w, "unreadable cart", http.StatusInternalServerError)
		return
	}
	sku := chi.URLParam(r, "sku")
	cart[sku]++
	if err := s.Set("cart", cart); err != nil {
		http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		return
	}
	// The Manager saves the session and sets the cookie before this first
	// byte.
	writeJSON(w, map[string]any{"sku": sku, "qty": cart[sku]})
}

func removeItem(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	cart, err := demo.Cart(s)
	if err != nil {
		http.Error(w, "unreadable cart", http.StatusInternalServerError)
		return
	}
	delete(cart, chi.URLParam(r, "sku"))
	if err := s.Set("cart", cart); err != nil {
		http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setThenPanic changes the session and panics before answering, to show
// that Recoverer's 500 carries no cookie and the change is lost.
func setThenPanic(w http.ResponseWriter, r *http.Request) {
	if err := session.From(r.Context()).Set("cart", map[string]int{"half-done": 1}); err != nil {
		http.Error(w, "cannot store the cart", http.StatusInternalServerError)
		return
	}
	panic("handler failed after changing the session")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	// An encoding error here is a broken connection: the header is out
	// and there is no one left to tell.
	_ = json.NewEncoder(w).Encode(v)
}
