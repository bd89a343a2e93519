package main

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/serverstore"
)

// The pages. GET handlers render; POST handlers change the session and
// redirect (POST-redirect-GET).

func (sh *shop) home(w http.ResponseWriter, r *http.Request) {
	sh.render(w, r, "home", &pageData{Title: "Shop", Catalogue: catalogue})
}

func (sh *shop) cart(w http.ResponseWriter, r *http.Request) {
	sh.render(w, r, "cart", &pageData{Title: "Cart"})
}

func (sh *shop) sessions(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	d := &pageData{Title: "Your active sessions"}
	if user := s.User(); user != "" {
		infos, err := sh.server.Sessions(r.Context(), user, sh.now())
		if err != nil {
			sh.fail(w, r, err)
			return
		}
		current := serverstore.Handle(s.ID())
		for _, in := range infos {
			row := sessionRow{Info: in, Current: in.Handle == current, Where: sh.db.name}
			if in.Mode == session.ModeCookie {
				row.Where = "cookie"
			}
			d.Sessions = append(d.Sessions, row)
		}
	}
	sh.render(w, r, "sessions", d)
}

func (sh *shop) add(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	it, ok := findItem(r.PostFormValue("sku"))
	if !ok {
		http.Error(w, "400 bad request: no such item", http.StatusBadRequest)
		return
	}
	qty := 1
	if v := r.PostFormValue("qty"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxQty {
			http.Error(w, fmt.Sprintf("400 bad request: the quantity is a number from 1 to %d", maxQty), http.StatusBadRequest)
			return
		}
		qty = n
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note == "" {
		note = it.Description
	}
	if len(note) > maxNote || !printable(note) {
		http.Error(w, fmt.Sprintf("400 bad request: a note is at most %d bytes of printable text", maxNote), http.StatusBadRequest)
		return
	}
	cart, err := cartOf(s)
	if err != nil {
		sh.fail(w, r, err)
		return
	}
	if len(cart) >= maxLines {
		s.AddFlash(fmt.Sprintf("Your cart is full (%d lines).", maxLines))
		redirect(w, r, "/")
		return
	}
	id := 1
	for _, l := range cart {
		id = max(id, l.ID+1)
	}
	cart = append(cart, line{ID: id, SKU: it.SKU, Name: it.Name, Qty: qty, Note: note})
	if err := setCart(s, cart); err != nil {
		sh.fail(w, r, err)
		return
	}
	s.AddFlash(fmt.Sprintf("Added %d × %s (line %d).", qty, it.Name, id))
	redirect(w, r, "/")
}

func (sh *shop) remove(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	cart, err := cartOf(s)
	if err != nil {
		sh.fail(w, r, err)
		return
	}
	id, _ := strconv.Atoi(r.PostFormValue("line"))
	for i, l := range cart {
		if l.ID == id {
			if err := setCart(s, slices.Delete(cart, i, i+1)); err != nil {
				sh.fail(w, r, err)
				return
			}
			s.AddFlash(fmt.Sprintf("Removed line %d (%s).", id, l.Name))
			redirect(w, r, "/cart")
			return
		}
	}
	s.AddFlash("That line is no longer in your cart.")
	redirect(w, r, "/cart")
}

func (sh *shop) login(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	name := strings.TrimSpace(r.PostFormValue("user"))
	if name == "" || len(name) > maxUserName || !printable(name) {
		s.AddFlash(fmt.Sprintf("Choose a user name of 1 to %d printable characters.", maxUserName))
		redirect(w, r, "/")
		return
	}
	// SetUser gives the session a new ID at this save, against session
	// fixation; the values, the cart among them, stay.
	s.SetUser(name)
	remember := ""
	if r.PostFormValue("remember") != "" {
		// Its own timeouts and a persistent cookie: the browser keeps the
		// session across restarts, and the server for 30 days of use.
		s.SetLifetime(rememberFor, rememberFor)
		remember = " for 30 days"
	}
	s.AddFlash(fmt.Sprintf("Logged in as %s%s, with a new session ID. (This demo checks no password.)", name, remember))
	redirect(w, r, "/")
}

func (sh *shop) logout(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	s.Destroy()
	s.AddFlash("Logged out. Your cart went with the session.")
	redirect(w, r, "/")
}

func (sh *shop) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	user := s.User()
	if user == "" {
		s.AddFlash("Log in first.")
		redirect(w, r, "/")
		return
	}
	n, err := sh.m.RevokeUser(r.Context(), user)
	if err != nil {
		sh.fail(w, r, err)
		return
	}
	s.Destroy()
	s.AddFlash(fmt.Sprintf("Logged out everywhere: %s listed in %s deleted, and every cookie session of %s made before now refused.",
		plural(int(n), "session"), sh.db.name, user))
	redirect(w, r, "/")
}

func (sh *shop) revoke(w http.ResponseWriter, r *http.Request) {
	s := session.From(r.Context())
	user := s.User()
	if user == "" {
		s.AddFlash("Log in first.")
		redirect(w, r, "/sessions")
		return
	}
	handle := r.PostFormValue("handle")
	if handle == serverstore.Handle(s.ID()) {
		s.Destroy()
		s.AddFlash("You ended this session: you are logged out here.")
		redirect(w, r, "/")
		return
	}
	if err := sh.store.RevokeHandle(r.Context(), user, handle, sh.now()); err != nil {
		sh.fail(w, r, err)
		return
	}
	s.AddFlash("Session ended: that browser is logged out on its next request.")
	redirect(w, r, "/sessions")
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// plural returns "1 session" or "n sessions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
