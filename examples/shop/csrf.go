package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/sessionseal/session"
)

// csrfKey is the session value that holds the CSRF token.
const csrfKey = "csrf"

// csrfToken returns the session's CSRF token, creating it on first use.
func csrfToken(s *session.Session) (string, error) {
	tok, ok, err := session.Value[string](s, csrfKey)
	if err != nil || ok {
		return tok, err
	}
	tok = base64.RawURLEncoding.EncodeToString(randomBytes(32))
	return tok, s.Set(csrfKey, tok)
}

// randomBytes returns n bytes from crypto/rand, which never fails.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// checkCSRF refuses, with 403, a POST whose form field "csrf" is not the
// session's token. A session without a token refuses every POST: the token is
// made when a page with a form is rendered.
func checkCSRF(next http.Handler) http.Handler {
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
		want, _, err := session.Value[string](session.From(r.Context()), csrfKey)
		got := r.PostFormValue("csrf")
		if err != nil || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			http.Error(w, "403 forbidden: the form's CSRF token does not match your session; reload the page and try again", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
