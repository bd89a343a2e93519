package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sessionseal/session/keyrotation"
)

// Defaults used by NewManager for zero Options fields; the fields' comments
// state them.
const (
	defaultCookieName  = "__Host-session"
	defaultIdleTimeout = 24 * time.Hour
	defaultLifetime    = 7 * 24 * time.Hour
)

// MaxClockSkew is how far ahead of the verifying server's clock a token's
// creation and issue times may lie. A token dated further ahead was sealed
// by a server whose clock runs fast; the Manager refuses it as ErrExpired,
// since otherwise its deadlines, counted from those times, would outlast
// the options, and a revocation stamp made later on a correct clock would
// not reach it. Times are whole seconds, so some skew is needed; servers
// kept in step by NTP agree within milliseconds, and a clock left without
// it drifts a second or two a day, so a minute absorbs weeks of lost sync
// while a fast server gains its tokens at most a minute. Keep the servers
// that share sessions within a minute of each other: beyond it, sessions
// sealed by the one ahead are refused by the others until their clocks
// catch up.
const MaxClockSkew = time.Minute

// maxCookieNameLen bounds the cookie's name, which shares MaxCookieSize
// with the token.
const maxCookieNameLen = 256

// maxCookieAttempts bounds how many cookies of the session's name one
// request may make the Manager try, so that a request carrying many copies
// costs a bounded number of store lookups.
const maxCookieAttempts = 8

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
	Lifetime time.Duration

	// TouchInterval rate-limits the refresh of an unchanged session's idle
	// deadline: the Manager re-issues its token at most once per interval,
	// not on every request. Default IdleTimeout/10. At least one second,
	// since tokens record times in whole seconds, and at most IdleTimeout.
	TouchInterval time.Duration

	// ErrorHandler writes the response when a session cannot be loaded or
	// saved, for example ErrTooLarge from a cookie-only store or
	// ErrStoreUnavailable. The client's cookie is left as it was. Default:
	// 503 Service Unavailable for ErrStoreUnavailable, 409 Conflict for
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

// Observer receives per-request events from a Manager, so that metrics and
// traces (Prometheus, OpenTelemetry, ...) can be fed without this module
// depending on them. Methods are called on the request's goroutine and
// must be quick and safe for concurrent use. Events never carry tokens or
// values.
type Observer interface {
	// Loaded is called after each Store.Load, and once for a request that
	// carried no token.
	Loaded(ctx context.Context, e LoadEvent)
	// Saved is called after a session was saved, destroyed, or failed to
	// be; not for a session that needed no write.
	Saved(ctx context.Context, e SaveEvent)
}

// LoadEvent describes the loading of a token.
type LoadEvent struct {
	Source   string        // "cookie", "bearer", or "" for a request without a token
	Found    bool          // the token gave a session
	Mode     Mode          // where the session lives, when Found
	Rejected string        // "invalid", "expired" or "unknown_key" when the token was refused
	Err      error         // a store error that failed the request
	Latency  time.Duration // time spent in Store.Load
}

// SaveEvent describes the saving of a session.
type SaveEvent struct {
	Destroyed bool          // the session was destroyed rather than saved
	Mode      Mode          // where the session lives after the save
	Bytes     int           // length of the token issued
	Resealed  bool          // saved only to re-seal it (newer key) or refresh its deadline
	Err       error         // why the save failed
	Latency   time.Duration // time spent in the store
}

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

// Manager is the HTTP side of sessions: it reads the session cookie, gives
// handlers the Session, and writes the cookie back when the session
// changed. Create one with NewManager; it is safe for concurrent use.
type Manager struct {
	store    Store
	cookie   http.Cookie // attributes of every cookie written
	attrs    cookieAttrs // cookie's attributes, rendered for Set-Cookie
	idle     time.Duration
	lifetime time.Duration
	touch    int64 // seconds
	onError  func(w http.ResponseWriter, r *http.Request, err error)
	log      *slog.Logger
	now      func() time.Time
	bearer   bool
	vary     string // the Vary header of every response
	observer Observer
}

// NewManager returns a Manager that keeps sessions in store. It checks and
// copies opts; invalid options are an error, never silently corrected.
func NewManager(store Store, opts Options) (*Manager, error) {
	if store == nil {
		return nil, errors.New("session: nil store")
	}
	m := &Manager{store: store, onError: opts.ErrorHandler, log: opts.Logger, now: opts.Now,
		bearer: opts.Bearer, observer: opts.Observer}
	if m.onError == nil {
		m.onError = defaultErrorHandler
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.vary = "Cookie"
	if m.bearer {
		m.vary = "Cookie, Authorization"
	}
	if err := m.setTimes(opts); err != nil {
		return nil, err
	}
	c, err := cookieTemplate(opts.Cookie)
	if err != nil {
		return nil, err
	}
	m.cookie, m.attrs = c, renderAttrs(c)
	return m, nil
}

func (m *Manager) setTimes(opts Options) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"IdleTimeout", opts.IdleTimeout}, {"Lifetime", opts.Lifetime}, {"TouchInterval", opts.TouchInterval}} {
		if d.v < 0 {
			return fmt.Errorf("session: negative %s %v", d.name, d.v)
		}
	}
	m.lifetime = cmp(opts.Lifetime, defaultLifetime)
	m.idle = cmp(opts.IdleTimeout, min(defaultIdleTimeout, m.lifetime))
	switch {
	case m.lifetime < time.Second:
		return fmt.Errorf("session: Lifetime %v is under one second", m.lifetime)
	case m.idle < time.Second:
		return fmt.Errorf("session: IdleTimeout %v is under one second", m.idle)
	case m.idle > m.lifetime:
		return fmt.Errorf("session: IdleTimeout %v exceeds Lifetime %v", m.idle, m.lifetime)
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

// CookieName returns the name of the session cookie.
func (m *Manager) CookieName() string { return m.cookie.Name }

// newSession returns a new, empty session that expires under the
// Manager's timeouts.
func (m *Manager) newSession() *Session {
	return newSession(m.now(), m.idle, m.lifetime)
}

type contextKey struct{}

// From returns the session that Middleware put in ctx, or nil when ctx did
// not come through Middleware.
func From(ctx context.Context) *Session {
	s, _ := ctx.Value(contextKey{}).(*Session)
	return s
}

// Middleware loads the session of each request, puts it in the request's
// context for From, and saves it before the first byte of the response is
// written (WriteHeader, Write, Flush, Hijack or ReadFrom) or when next
// returns. A missing or unusable cookie gives a new, empty session. When the
// session cannot be loaded (the store is unavailable) or saved, next is not
// called or its response is replaced, through Options.ErrorHandler.
//
// The writer passed to next supports http.ResponseController: it flushes,
// hijacks and unwraps to the underlying writer.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", m.vary)
		s, err := m.Load(r)
		if errors.Is(err, ErrInvalid) || errors.Is(err, ErrExpired) {
			// Only a bearer token is refused rather than replaced.
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "401 unauthorized", http.StatusUnauthorized)
			return
		}
		if err != nil {
			m.fail(w, r, err)
			return
		}
		sw := &responseWriter{ResponseWriter: w, m: m, r: r, s: s}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), contextKey{}, s)))
		if !sw.hijacked {
			sw.commit()
		}
		s.mu.Lock()
		late := s.late
		s.mu.Unlock()
		if late {
			m.log.WarnContext(r.Context(), "session: changed after the response was written; the change was not saved",
				"path", r.URL.Path)
		}
	})
}

// Load returns the session of r: the first cookie of the session's name
// that the store accepts, or a new session when there is none. Rejected
// cookies are logged and skipped. An error means the store could not decide
// (for example ErrStoreUnavailable); the request should then fail rather
// than go on with an empty session. With Options.Bearer, a request with an
// "Authorization: Bearer" header is loaded from that token alone, and a
// refused token is an error matching ErrInvalid or ErrExpired. Middleware
// calls Load by itself.
func (m *Manager) Load(r *http.Request) (*Session, error) {
	ctx := r.Context()
	now := m.now()
	if token, ok := m.bearerToken(r); ok {
		s, err := m.loadToken(ctx, "bearer", token, now)
		if err != nil {
			return nil, err
		}
		s.bearer = true
		return s, nil
	}
	hadCookie := false
	tries := 0
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || name != m.cookie.Name {
				continue
			}
			hadCookie = true
			if tries == maxCookieAttempts {
				break
			}
			tries++
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			s, err := m.loadToken(ctx, "cookie", value, now)
			switch {
			case err == nil:
				s.hadCookie = true
				return s, nil
			case errors.Is(err, ErrInvalid), errors.Is(err, ErrExpired):
			default:
				return nil, err
			}
		}
	}
	if !hadCookie && m.observer != nil {
		m.observer.Loaded(ctx, LoadEvent{})
	}
	s := m.newSession()
	s.hadCookie = hadCookie
	return s, nil
}

// bearerToken returns the token of an "Authorization: Bearer" header, when
// Options.Bearer allows one.
func (m *Manager) bearerToken(r *http.Request) (string, bool) {
	if !m.bearer {
		return "", false
	}
	// The scheme ends at the first space or tab, or with the header: net/http
	// trims trailing whitespace, so "Bearer " with an empty token arrives as
	// "Bearer", and must be refused as a bearer token, not ignored.
	h := r.Header.Get("Authorization")
	scheme, token := h, ""
	if i := strings.IndexAny(h, " \t"); i >= 0 {
		scheme, token = h[:i], h[i+1:]
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// loadToken loads one token, checks it against the current options, and
// reports the outcome to the log and the observer.
func (m *Manager) loadToken(ctx context.Context, source, token string, now time.Time) (*Session, error) {
	var start time.Time
	if m.observer != nil {
		start = time.Now()
	}
	rec, err := m.store.Load(ctx, m.cookie.Name, token, now)
	e := LoadEvent{Source: source}
	if m.observer != nil {
		e.Latency = time.Since(start)
	}
	var s *Session
	if err == nil {
		s, err = fromRecord(rec)
	}
	if err == nil {
		if s.fresh {
			// A session a store made (a converted legacy cookie) gets
			// its deadlines here.
			s.start(now.Unix(), m.idle, m.lifetime)
		} else if !m.admit(s, now) {
			s, err = nil, ErrExpired
		}
	}
	switch {
	case err == nil:
		e.Found, e.Mode = true, s.Mode()
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrExpired):
		e.Rejected = reason(err)
		m.log.DebugContext(ctx, "session: token rejected", "source", source, "reason", e.Rejected)
	default:
		e.Err = err
		m.log.ErrorContext(ctx, "session: load failed", "err", err)
	}
	if m.observer != nil {
		m.observer.Loaded(ctx, e)
	}
	return s, err
}

// admit bounds the deadlines of s, just loaded, by the current options,
// which may be stricter than those it was sealed under, counted from its
// own creation and issue times; and it reports whether s may be used at
// now: its deadlines have not passed, and those times lie at most
// MaxClockSkew ahead. Whatever clock sealed s and whatever it holds, it
// ends by now+MaxClockSkew+Lifetime, and what the handler, the cookie's
// Max-Age and the store see afterwards are the deadlines enforced here.
// Creation may follow the last issue by a little, and is not refused for
// it: a save that merges a concurrent login (Rebase) keeps the other
// request's creation time.
func (m *Manager) admit(s *Session, now time.Time) bool {
	t := now.Unix()
	d := &s.d
	d.Expires = min(d.Expires, d.Created+int64(m.lifetime/time.Second))
	d.IdleExpires = min(d.IdleExpires, d.Issued+int64(m.idle/time.Second), d.Expires)
	ahead := t + int64(MaxClockSkew/time.Second)
	return d.Created <= ahead && d.Issued <= ahead && t < d.IdleExpires
}

// reason names the class of a rejected token for logs.
func reason(err error) string {
	switch {
	case errors.Is(err, ErrExpired):
		return "expired"
	case errors.Is(err, keyrotation.ErrUnknownKey):
		return "unknown_key"
	}
	return "invalid"
}

// Save writes s to the store if it changed, was destroyed or is due a
// refresh, and sets the cookie on w (for a bearer session, the
// Session-Token header). Call it before the response header is written. On error nothing
// is set on w: the client keeps its old cookie. Middleware calls Save by
// itself.
func (m *Manager) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	ctx := r.Context()
	t := m.now()
	now := t.Unix()
	s.mu.Lock()
	s.committed = true
	destroyed, fresh, hadCookie, bearer := s.destroyed, s.fresh, s.hadCookie, s.bearer
	// A destroyed session's record goes unconditionally, also when a
	// change after Destroy started a new session: that one is saved as
	// new, and never merges what another request saved to the destroyed
	// one.
	deleteRecord := s.endsRecord()
	save := !destroyed && (s.changed || s.touched || (!fresh && now-s.d.Issued >= m.touch))
	resealed := save && !s.changed
	if save {
		m.stamp(s, now)
	}
	persistent, expires := s.d.Persistent, s.d.IdleExpires
	s.mu.Unlock()
	if !save && !deleteRecord && !(destroyed && hadCookie) {
		return nil
	}

	token, err := m.write(ctx, r, s, save, deleteRecord, t, SaveEvent{Destroyed: destroyed, Resealed: resealed})
	if err != nil {
		return err
	}
	if resealed {
		m.log.DebugContext(ctx, "session: re-sealed", "mode", s.Mode())
	}
	h := w.Header()
	switch {
	case bearer && save:
		h.Set(tokenHeader, token)
	case bearer:
	case save && persistent:
		h.Add("Set-Cookie", m.setCookie(token, expires, int(max(expires-now, 1))))
	case save:
		h.Add("Set-Cookie", m.setCookie(token, 0, 0))
	default:
		h.Add("Set-Cookie", m.setCookie("", 0, -1))
	}
	if cc := strings.Join(h.Values("Cache-Control"), ", "); cc == "" {
		h.Set("Cache-Control", `no-cache="Set-Cookie"`)
	} else if !strings.Contains(strings.ToLower(cc), "no-cache") && !strings.Contains(strings.ToLower(cc), "no-store") {
		h.Set("Cache-Control", cc+`, no-cache="Set-Cookie"`)
	}
	return nil
}

// stamp sets the times of a save at now: a session whose user changed
// since its last save starts its lifetime again, so that its creation time
// is never earlier than its login (revocation stamps are checked against
// it), and the idle deadline restarts. s.mu must be held.
func (m *Manager) stamp(s *Session, now int64) {
	if s.login && s.d.User != "" {
		s.start(now, m.idle, m.lifetime)
		return
	}
	s.setIssued(now, m.idle)
}

// write deletes and saves s in the store at now as Save decided, marks s
// saved, reports the outcome to the observer as e, completed, and returns
// the new token when it saved.
func (m *Manager) write(ctx context.Context, r *http.Request, s *Session, save, deleteRecord bool, now time.Time, e SaveEvent) (token string, err error) {
	if m.observer != nil {
		start := time.Now()
		defer func() {
			e.Mode, e.Bytes, e.Err, e.Latency = s.Mode(), len(token), err, time.Since(start)
			m.observer.Saved(ctx, e)
		}()
	}
	if deleteRecord {
		s.mu.Lock()
		rec := s.record(nil)
		s.mu.Unlock()
		if err := m.store.Delete(ctx, rec, now); err != nil {
			return "", err
		}
		if save {
			s.mu.Lock()
			s.detach()
			s.mu.Unlock()
		}
	}
	var rec *Record
	if save {
		s.mu.Lock()
		rec = s.record(r)
		s.mu.Unlock()
		if token, err = m.store.Save(ctx, m.cookie.Name, rec, now); err != nil {
			return "", err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec != nil {
		if err := s.stored(rec); err != nil {
			return "", err
		}
	}
	s.saved()
	return token, nil
}

// Token saves s and returns a token for it, for an API client to send back
// in an "Authorization: Bearer" header (see Options.Bearer). It sets no
// cookie. Call it after login, for example, and return the token in the
// response body. A session destroyed and not changed since has no token:
// Token returns ErrDestroyed.
func (m *Manager) Token(r *http.Request, s *Session) (string, error) {
	s.mu.Lock()
	if s.destroyed {
		s.mu.Unlock()
		return "", ErrDestroyed
	}
	deleteRecord := s.endsRecord()
	now := m.now()
	m.stamp(s, now.Unix())
	s.mu.Unlock()
	return m.write(r.Context(), r, s, true, deleteRecord, now, SaveEvent{})
}

// fail reports err and lets the error handler write the response.
func (m *Manager) fail(w http.ResponseWriter, r *http.Request, err error) {
	m.log.ErrorContext(r.Context(), "session: request failed", "err", err)
	m.onError(w, r, err)
}

// defaultErrorHandler is the default Options.ErrorHandler: 503 Service
// Unavailable for ErrStoreUnavailable, 409 Conflict for ErrConflict (the
// request may be retried), otherwise 500 Internal Server Error. It drops
// the headers the handler had set and writes a generic body that reveals
// nothing about err.
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
	http.Error(w, http.StatusText(code), code)
}

// RevokeUser logs the user out everywhere: the store ends every session of
// the user started (created, or logged in) up to now, in whatever form it
// can know of, and keeps what it records for the Manager's Lifetime, so
// that it outlives every session it refuses. Session times are whole
// seconds, so the moment is rounded up: a login later in the same second is
// refused too, and its user logs in again. It returns the number of server
// records deleted. The store must implement Revoker (package hybrid and
// server stores do); a cookie store cannot revoke anything.
func (m *Manager) RevokeUser(ctx context.Context, userID string) (int64, error) {
	rv, ok := m.store.(Revoker)
	if !ok {
		return 0, errors.New("session: the store cannot revoke sessions: use a server store or package hybrid")
	}
	nb := m.now().Truncate(time.Second).Add(time.Second)
	// A session started on a server up to MaxClockSkew ahead can end that
	// much later.
	return rv.RevokeUser(ctx, userID, nb, m.lifetime+MaxClockSkew)
}
