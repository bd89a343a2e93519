package session_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sessionseal/session"
)

// maxUserAgentLen is the documented bound on the user agent of
// Record.Client.
const maxUserAgentLen = 256

// TestUnboundedUserAgentIsCapped checks that the client a store receives
// is bounded whatever the request carries: the user agent cut to
// maxUserAgentLen bytes of printable characters at a character boundary,
// the IP parsed and normalised, or empty. A store keeps it with every
// session, so an anonymous request must not make it store a megabyte.
func TestUnboundedUserAgentIsCapped(t *testing.T) {
	cs := newCookieStore(t)
	e := 'é' // two bytes
	tests := []struct {
		name       string
		userAgent  string
		remoteAddr string
		wantUA     string
		wantIP     string
	}{
		{"browser", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "192.0.2.1:1234",
			"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "192.0.2.1"},
		{"a megabyte", strings.Repeat("A", 1<<20), "192.0.2.1:1234", strings.Repeat("A", maxUserAgentLen), "192.0.2.1"},
		{"cut at a character boundary", "x" + strings.Repeat(string(e), maxUserAgentLen), "192.0.2.1:1",
			"x" + strings.Repeat(string(e), (maxUserAgentLen-1)/2), "192.0.2.1"},
		{"control and format characters", "Mozilla\x00/5.0\t\x7f\u0085 (\u202eevil)\r\n", "192.0.2.1:1", "Mozilla/5.0 (evil)", "192.0.2.1"},
		{"invalid UTF-8", "Mozilla\xff\xfe/5.0 \xe2\x82", "192.0.2.1:1", "Mozilla/5.0 ", "192.0.2.1"},
		{"IPv6", "ua", "[2001:DB8:0::1]:443", "ua", "2001:db8::1"},
		{"IPv4-mapped IPv6", "ua", "[::ffff:192.0.2.1]:443", "ua", "192.0.2.1"},
		{"zone dropped", "ua", "[fe80::1%" + strings.Repeat("z", 1<<16) + "]:80", "ua", "fe80::1"},
		{"address without port", "ua", "198.51.100.7", "ua", "198.51.100.7"},
		{"forwarding list copied by a middleware", "ua", "198.51.100.7, 10.0.0.1", "ua", ""},
		{"huge address", "ua", strings.Repeat("1", 1<<20), "ua", ""},
		{"no address", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &recordingStore{Store: cs}
			m, err := session.NewManager(store, session.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("User-Agent", tt.userAgent)
			r.RemoteAddr = tt.remoteAddr
			s, err := m.Load(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Set("a", "1"); err != nil {
				t.Fatal(err)
			}
			if err := m.Save(httptest.NewRecorder(), r, s); err != nil {
				t.Fatal(err)
			}
			saved, _ := store.take()
			if len(saved) != 1 {
				t.Fatalf("the store's Save was called %d times, want once", len(saved))
			}
			ua, ip := saved[0].Client()
			if ua != tt.wantUA {
				t.Errorf("UserAgent: got %d bytes %.40q, want %d bytes %.40q", len(ua), ua, len(tt.wantUA), tt.wantUA)
			}
			if ip != tt.wantIP {
				t.Errorf("IP: got %.40q, want %q", ip, tt.wantIP)
			}
			if len(ua) > maxUserAgentLen || !utf8.ValidString(ua) ||
				strings.IndexFunc(ua, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				t.Errorf("UserAgent %.40q is not bounded printable UTF-8", ua)
			}
		})
	}
}
