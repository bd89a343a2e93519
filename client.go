package session

import (
	"net"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Client describes the client that saves the session, for "your active
// sessions" listings: the printable characters of its User-Agent, at most
// 256 bytes of them, and the canonical form of its IP address (a proxy's
// behind one), or "". The Manager gives it on Save, and "" for both on
// Delete and Load. Client cleans what the request sent on each call, so
// that stores that keep neither (a cookie store) pay nothing for it.
func (r *Record) Client() (userAgent, ip string) {
	return cleanUserAgent(r.userAgent), clientIP(r.remoteAddr)
}

// maxUserAgentLen is the longest user agent that Record.Client returns, in
// bytes. Browsers send 100 to 200 bytes, in-app browsers up to about 300,
// and the first 256 say which browser on which system; a store keeps the
// value with every session, for as long as the session lives, so the
// client must not choose its size (net/http accepts a megabyte of headers
// by default). Both values a store receives about the client come from
// the client, or from whatever sits in front of the server: they are
// bounded and cleaned, never trusted.
const maxUserAgentLen = 256

// cleanUserAgent returns the printable characters of ua, at most
// maxUserAgentLen bytes of them.
func cleanUserAgent(ua string) string {
	if len(ua) <= maxUserAgentLen && utf8.ValidString(ua) && strings.IndexFunc(ua, notPrintable) < 0 {
		return ua
	}
	var b strings.Builder
	for i := 0; i < len(ua); {
		r, n := utf8.DecodeRuneInString(ua[i:])
		i += n
		if (r == utf8.RuneError && n == 1) || notPrintable(r) {
			continue
		}
		if b.Len()+n > maxUserAgentLen {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// notPrintable reports whether r is a character that unicode.IsPrint
// refuses: a control or format character (a bidirectional override, say),
// a space other than U+0020, an unassigned or private-use code point.
func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// clientIP returns the canonical form of the IP address in remoteAddr, with
// or without a port, or "".
func clientIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return ip.Unmap().WithZone("").String()
}
