package session

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Defaults used by NewManager for zero Options fields; the fields' comments
// state them.
const (
	defaultCookieName  = "__Host-session"
	defaultIdleTimeout = 24 * time.Hour
	defaultLifetime    = 7 * 24 * time.Hour
)

// Options configures a Manager. The zero value is the secure choice; each
// field's comment says its default.
type Options struct {
	// Cookie sets the session cookie's name and attributes.
	Cookie CookieOptions

	// IdleTimeout ends a session that has not been used for this long.
	// Default 24 hours, or Lifetime if that is shorter.
	// At least one second.
	IdleTimeout time.Duration

	// Lifetime ends a session this long after it was created, or after its
	// user last changed (a login), however active it is. Default 7 days.
	// At least one second.
	// Shortening it also ends older sessions already issued: the Manager
	// checks the current value as well as the deadlines sealed in tokens.
	// A session with a lifetime of its own (Session.SetLifetime) follows
	// that one instead, within MaxLifetime.
	Lifetime time.Duration

	// MaxLifetime bounds the timeouts a session sets for itself with
	// Session.SetLifetime, both the idle timeout and the lifetime. Default
	// Lifetime: a session may shorten its timeouts but not lengthen them;
	// raise it to allow "remember me", for example to 90 days. At least
	// Lifetime. A longer request is clamped, not refused: the handler
	// cannot act on an error at that point, and the bound must also apply
	// to tokens sealed before it was lowered, so the Manager clamps the
	// session's own timeouts, and the deadlines counted from them, at
	// every save and every load. Key rotation waits for the longest
	// lifetime: give keyrotation.Keyring.SetMaxLifetime this value.
	MaxLifetime time.Duration

	// TouchInterval rate-limits the refresh of an unchanged session's idle
	// deadline: the Manager re-issues its token at most once per interval,
	// not on every request. Default IdleTimeout/10. At least one second,
	// since tokens record times in whole seconds, and at most IdleTimeout.
	TouchInterval time.Duration

	// KeepIDOnLogin keeps a session's ID when SetUser changes its user.
	// Default false: a change of user (a login, a logout, a switch of
	// account) gives the session a new ID at the next save and ends the
	// record under the old one, as Renew does, against session fixation:
	// an attacker who planted a token of their own in the victim's browser
	// would otherwise share the session the victim logs in to. Only set it
	// when something outside the Manager must keep following the ID
	// across a login, and then call Renew where it is safe to.
	KeepIDOnLogin bool

	// ErrorHandler writes the response when a session cannot be loaded or
	// saved, for example ErrTooLarge from a cookie-only store or
	// ErrStoreUnavailable. The client's cookie is left as it was. Default:
	// 503 Service Unavailable with "Retry-After: 5" (seconds) for
	// ErrStoreUnavailable, 409 Conflict for
	// ErrConflict (the request may be retried), otherwise 500 Internal
	// Server Error, with a generic body that reveals nothing about err.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// Logger receives rejected tokens (at Debug, with the reason, never the
	// token), store errors (at Error) and changes made too late to be saved
	// (at Warn). Default slog.Default().
	Logger *slog.Logger

	// Bearer makes the middleware also accept a token in an
	// "Authorization: Bearer" header, for API clients; Manager.Token issues
	// one. A request with such a header uses it and ignores cookies. A
	// bearer token that is malformed, foreign, revoked or expired gets 401
	// with a WWW-Authenticate header, not a new session: an API client must
	// learn that its credential failed. When a bearer session changes, the
	// new token is in the response's Session-Token header.
	// Default false.
	Bearer bool

	// Observer receives an event for each token loaded and each session
	// saved, for metrics and tracing. Default none.
	Observer Observer

	// Now returns the current time. Default time.Now. Tests inject a clock
	// here rather than wait for sessions to expire.
	Now func() time.Time
}

// tokenHeader is the response header that carries a bearer session's new
// token after a change; see Options.Bearer.
const tokenHeader = "Session-Token"

// CookieOptions sets the session cookie's attributes. The zero value is
// the secure choice: HttpOnly always, Secure, SameSite=Lax, Path=/, host-only.
type CookieOptions struct {
	// Name is the cookie's name, which the store binds into every token,
	// bearer tokens included. Default "__Host-session", whose __Host-
	// prefix makes browsers refuse the cookie from subdomains and over
	// plain HTTP; with AllowInsecureHTTP, "session". At most 256 bytes.
	Name string

	// Path is the cookie's Path attribute. Default "/". A __Host- name
	// requires "/".
	Path string

	// Domain is the cookie's Domain attribute. Default "": the cookie goes
	// back only to the host that set it. Only set it to share the session
	// with subdomains, which also lets them set the cookie. A __Host- name
	// forbids it.
	Domain string

	// SameSite is the cookie's SameSite attribute. Default (zero)
	// http.SameSiteLaxMode. http.SameSiteNoneMode needs a secure cookie;
	// http.SameSiteDefaultMode, which omits the attribute, is refused.
	SameSite http.SameSite

	// Partitioned sets the Partitioned attribute (CHIPS), for sessions in
	// third-party iframes. Default false. It needs a secure cookie.
	Partitioned bool

	// AllowInsecureHTTP drops the Secure attribute so that the cookie works
	// over plain HTTP. Default false. Only use this for local development:
	// over HTTP anyone on the path can read and replay the cookie.
	AllowInsecureHTTP bool
}

func (m *Manager) setTimes(opts Options) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"IdleTimeout", opts.IdleTimeout}, {"Lifetime", opts.Lifetime}, {"MaxLifetime", opts.MaxLifetime},
		{"TouchInterval", opts.TouchInterval}} {
		if d.v < 0 {
			return fmt.Errorf("session: negative %s %v", d.name, d.v)
		}
	}
	m.lifetime = cmp(opts.Lifetime, defaultLifetime)
	m.idle = cmp(opts.IdleTimeout, min(defaultIdleTimeout, m.lifetime))
	m.maxLifetime = cmp(opts.MaxLifetime, m.lifetime)
	switch {
	case m.lifetime < time.Second:
		return fmt.Errorf("session: Lifetime %v is under one second", m.lifetime)
	case m.idle < time.Second:
		return fmt.Errorf("session: IdleTimeout %v is under one second", m.idle)
	case m.idle > m.lifetime:
		return fmt.Errorf("session: IdleTimeout %v exceeds Lifetime %v", m.idle, m.lifetime)
	case m.maxLifetime < m.lifetime:
		return fmt.Errorf("session: MaxLifetime %v is under Lifetime %v", m.maxLifetime, m.lifetime)
	case opts.TouchInterval > m.idle:
		return fmt.Errorf("session: TouchInterval %v exceeds IdleTimeout %v", opts.TouchInterval, m.idle)
	case opts.TouchInterval > 0 && opts.TouchInterval < time.Second:
		return fmt.Errorf("session: TouchInterval %v is under one second", opts.TouchInterval)
	}
	m.touch = int64(cmp(opts.TouchInterval, max(m.idle/10, time.Second)) / time.Second)
	return nil
}

// cmp returns v, or def when v is zero.
func cmp(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// cookieTemplate checks o and returns the cookie whose attributes every
// session cookie carries.
func cookieTemplate(o CookieOptions) (http.Cookie, error) {
	secure := !o.AllowInsecureHTTP
	c := http.Cookie{Name: o.Name, Path: o.Path, Domain: o.Domain, SameSite: o.SameSite,
		Partitioned: o.Partitioned, Secure: secure, HttpOnly: true, Value: "x"}
	if c.Name == "" {
		c.Name = defaultCookieName
		if !secure {
			c.Name = "session"
		}
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	lower := strings.ToLower(c.Name)
	switch {
	case c.SameSite == http.SameSiteDefaultMode:
		return c, errors.New("session: SameSiteDefaultMode omits the attribute; choose Lax, Strict or None")
	case c.SameSite < 0 || c.SameSite > http.SameSiteNoneMode:
		return c, fmt.Errorf("session: unknown SameSite value %d", c.SameSite)
	case !secure && c.SameSite == http.SameSiteNoneMode:
		return c, errors.New("session: SameSite=None needs a secure cookie; it cannot go with AllowInsecureHTTP")
	case !secure && c.Partitioned:
		return c, errors.New("session: Partitioned needs a secure cookie; it cannot go with AllowInsecureHTTP")
	case !secure && (strings.HasPrefix(lower, "__host-") || strings.HasPrefix(lower, "__secure-")):
		return c, fmt.Errorf("session: cookie name %q needs a secure cookie; with AllowInsecureHTTP use a name without the prefix", c.Name)
	case len(c.Name) > maxCookieNameLen:
		return c, fmt.Errorf("session: cookie name of %d bytes; at most %d leave room for the token", len(c.Name), maxCookieNameLen)
	case strings.HasPrefix(lower, "__host-") && (c.Domain != "" || c.Path != "/"):
		return c, fmt.Errorf("session: cookie name %q needs Path \"/\" and no Domain", c.Name)
	case len(c.Path) > 1024 || len(c.Domain) > 1024:
		return c, errors.New("session: cookie Path and Domain must be at most 1024 bytes")
	case !strings.HasPrefix(c.Path, "/"):
		return c, fmt.Errorf("session: cookie Path %q must start with \"/\"", c.Path)
	}
	if err := c.Valid(); err != nil {
		return c, fmt.Errorf("session: invalid cookie options: %v", err)
	}
	c.Value = ""
	return c, nil
}
