package session

import (
	"errors"
	"fmt"
	"net/http"
)

// MaxCookieSize is the largest cookie, name plus value in bytes, that
// browsers keep (RFC 6265bis, section 5.7). A larger cookie is dropped
// silently and the browser keeps sending the old one, so stores refuse to
// produce it instead.
const MaxCookieSize = 4096

var (
	// ErrInvalid reports a token that is malformed, truncated, tampered with,
	// sealed for another cookie name or format, or sealed with a key the ring
	// does not hold. Every failure before authentication is this one error,
	// so a client learns nothing about which check failed. The Manager treats
	// it as no session.
	ErrInvalid = errors.New("session: invalid token")

	// ErrExpired reports an authentic token past its idle or absolute
	// deadline, or dated more than a minute ahead of the clock that
	// checks it. It is returned only after authentication. The Manager
	// treats it as no session.
	ErrExpired = errors.New("session: expired")

	// ErrTooLarge reports a session whose token would not fit in a cookie.
	// The concrete error is a *SizeError with the sizes.
	ErrTooLarge = errors.New("session: too large for a cookie")

	// ErrConflict reports a save that lost to concurrent requests of the
	// same session: they kept saving it until the store gave up, or one of
	// them ended it (Destroy, Renew, a revocation) so that this request's
	// changes have no session to go to. The default error handler answers
	// 409 Conflict, and the client keeps its cookie.
	ErrConflict = errors.New("session: conflicting concurrent update")

	// ErrDestroyed reports a call to Manager.Token for a session destroyed
	// and not changed since: there is no session to issue a token for.
	ErrDestroyed = errors.New("session: destroyed")

	// ErrStoreUnavailable reports a store that cannot be reached. The
	// default error handler answers 503 Service Unavailable, and the client
	// keeps its cookie.
	ErrStoreUnavailable = errors.New("session: store unavailable")
)

// SizeError reports a cookie that would exceed its size limit.
// errors.Is(err, ErrTooLarge) is true for it.
type SizeError struct {
	Size  int // length of the cookie's name plus value, in bytes, at its largest as the session ages
	Limit int // the largest allowed, normally MaxCookieSize
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("session: cookie of %d bytes exceeds the limit of %d", e.Size, e.Limit)
}

// Is reports whether target is ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// fail reports err and lets the error handler write the response.
func (m *Manager) fail(w http.ResponseWriter, r *http.Request, err error) {
	m.log.ErrorContext(r.Context(), "session: request failed", "err", err)
	m.onError(w, r, err)
}

// retryAfter is the Retry-After header of the default error handler's 503,
// in seconds: long enough that clients and proxies do not hammer a store
// that is down, short enough for a brief outage.
const retryAfter = "5"

// defaultErrorHandler is the default Options.ErrorHandler: 503 Service
// Unavailable with Retry-After for ErrStoreUnavailable, 409 Conflict for
// ErrConflict (the request may be retried), otherwise 500 Internal Server
// Error. It drops the headers the handler had set and writes a generic body
// that reveals nothing about err.
func defaultErrorHandler(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrStoreUnavailable):
		code = http.StatusServiceUnavailable
	case errors.Is(err, ErrConflict):
		code = http.StatusConflict
	}
	h := w.Header()
	clear(h)
	h.Set("Cache-Control", "no-store")
	if code == http.StatusServiceUnavailable {
		h.Set("Retry-After", retryAfter)
	}
	http.Error(w, http.StatusText(code), code)
}
