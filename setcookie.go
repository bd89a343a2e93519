package session

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cookieAttrs is the session cookie's attributes as http.Cookie.String
// writes them, on either side of Expires and Max-Age, the only ones that
// change from one response to the next. NewManager renders them once:
// formatting the whole cookie on every save, which validates and copies
// every attribute again, cost more than sealing the session.
type cookieAttrs struct {
	before string // Path and Domain
	after  string // HttpOnly, Secure, SameSite and Partitioned
}

// renderAttrs renders the attributes of c, whose options cookieTemplate
// checked.
func renderAttrs(c http.Cookie) cookieAttrs {
	// Each rendering starts with "name=" and an empty value.
	n := len(c.Name) + 1
	before := http.Cookie{Name: c.Name, Path: c.Path, Domain: c.Domain}
	after := http.Cookie{Name: c.Name, HttpOnly: c.HttpOnly, Secure: c.Secure, SameSite: c.SameSite,
		Partitioned: c.Partitioned}
	return cookieAttrs{before: before.String()[n:], after: after.String()[n:]}
}

// setCookie returns the Set-Cookie line of the session cookie holding
// value, as http.Cookie.String writes it: for maxAge > 0 a persistent
// cookie that expires at expires, for maxAge < 0 one that deletes the
// cookie, otherwise a browser-session cookie.
func (m *Manager) setCookie(value string, expires int64, maxAge int) string {
	if !plainCookieValue(value) {
		// Not a token of this module's stores (base64url, or a JWT):
		// http.Cookie drops the bytes a cookie cannot carry and quotes
		// the value if it must, so that no token adds an attribute.
		c := m.cookie
		c.Value, c.MaxAge = value, maxAge
		if maxAge > 0 {
			c.Expires = time.Unix(expires, 0)
		}
		return c.String()
	}
	n := len(m.cookie.Name) + 1 + len(value) + len(m.attrs.before) + len(m.attrs.after)
	switch {
	case maxAge > 0:
		n += len("; Expires=") + len(http.TimeFormat) + len("; Max-Age=") + 20
	case maxAge < 0:
		n += len("; Max-Age=0")
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(m.cookie.Name)
	b.WriteByte('=')
	b.WriteString(value)
	b.WriteString(m.attrs.before)
	var buf [len(http.TimeFormat)]byte
	switch {
	case maxAge > 0:
		// http.Cookie omits an Expires before 1601, which RFC 6265
		// refuses.
		if t := time.Unix(expires, 0).UTC(); t.Year() >= 1601 {
			b.WriteString("; Expires=")
			b.Write(t.AppendFormat(buf[:0], http.TimeFormat))
		}
		b.WriteString("; Max-Age=")
		b.Write(strconv.AppendInt(buf[:0], int64(maxAge), 10))
	case maxAge < 0:
		b.WriteString("; Max-Age=0")
	}
	b.WriteString(m.attrs.after)
	return b.String()
}

// plainCookieBytes holds 1 for the bytes that http.Cookie writes in a
// value as they are: printable ASCII but for the quote, the semicolon and
// the backslash, which it drops, and the space and the comma, for which it
// quotes the value.
var plainCookieBytes = func() (t [256]byte) {
	for c := byte('!'); c <= '~'; c++ {
		if c != '"' && c != ';' && c != '\\' && c != ',' {
			t[c] = 1
		}
	}
	return t
}()

// plainCookieValue reports whether http.Cookie writes v as it is. It runs
// on every token saved, so it tests eight bytes per branch.
func plainCookieValue(v string) bool {
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w, t := v[i:i+8], &plainCookieBytes
		if t[w[0]]&t[w[1]]&t[w[2]]&t[w[3]]&t[w[4]]&t[w[5]]&t[w[6]]&t[w[7]] == 0 {
			return false
		}
	}
	for ; i < len(v); i++ {
		if plainCookieBytes[v[i]] == 0 {
			return false
		}
	}
	return true
}
