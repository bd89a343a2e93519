package session

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxUserAgentLen is the longest ClientInfo.UserAgent, in bytes. Browsers
// send 100 to 200 bytes, in-app browsers up to about 300, and the first
// 256 say which browser on which system; a store keeps the value with
// every session, for as long as the session lives, so the client must not
// choose its size (net/http accepts a megabyte of headers by default).
const MaxUserAgentLen = 256

// ClientInfo describes the client of the request that saves a session, for
// stores that record where sessions are used, such as a "your active
// sessions" page. Both fields come from the client, or from whatever sits
// in front of the server: they are bounded and cleaned, never trusted.
type ClientInfo struct {
	// UserAgent is the User-Agent header, keeping only printable
	// characters (no control or format characters, no invalid UTF-8), cut
	// at a character boundary to at most MaxUserAgentLen bytes.
	UserAgent string

	// IP is the host part of the request's RemoteAddr (a proxy's address
	// behind one), parsed and written in its canonical form: an
	// IPv4-mapped IPv6 address as IPv4, without a zone. It is "" when
	// RemoteAddr holds no IP address, as when a middleware copied a
	// forwarding header there.
	IP string
}

type clientInfoKey struct{}

// ClientInfoFrom returns the ClientInfo that the Manager puts in the context
// it passes to Store.Save.
func ClientInfoFrom(ctx context.Context) (ClientInfo, bool) {
	c, ok := ctx.Value(clientInfoKey{}).(ClientInfo)
	return c, ok
}

func withClientInfo(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, clientInfoKey{}, ClientInfo{UserAgent: userAgent(r.UserAgent()), IP: clientIP(r.RemoteAddr)})
}

// userAgent returns the printable characters of ua, at most MaxUserAgentLen
// bytes of them.
func userAgent(ua string) string {
	if len(ua) <= MaxUserAgentLen && utf8.ValidString(ua) && strings.IndexFunc(ua, notPrintable) < 0 {
		return ua
	}
	var b strings.Builder
	for i := 0; i < len(ua); {
		r, n := utf8.DecodeRuneInString(ua[i:])
		i += n
		if (r == utf8.RuneError && n == 1) || notPrintable(r) {
			continue
		}
		if b.Len()+n > MaxUserAgentLen {
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
