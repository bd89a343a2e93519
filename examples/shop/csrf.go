package main

import (
	"errors"
	"net/http"
)

// crossOrigin refuses, with 403, a POST that a browser sends from another
// origin: Go's http.CrossOriginProtection reads Sec-Fetch-Site, which every
// current browser sends, and falls back to comparing Origin with Host. It
// replaces the form tokens this shop used to keep in the session: those
// made every page view write a session, and a cross-site request from a
// browser that sends neither header still carries no session cookie, which
// is SameSite=Lax (see the README's CSRF recipe).
func crossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "403 forbidden: a cross-origin request cannot change your session", http.StatusForbidden)
	}))
	return p.Handler(next)
}

// limitForm reads the form of a POST, refusing one larger than maxForm
// bytes with 413 and an unreadable one with 400.
func limitForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "413 request entity too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "400 bad request: unreadable form", http.StatusBadRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}
