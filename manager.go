package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sessionseal/session/internal/observe"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/keyrotation"
)

// maxCookieNameLen bounds the cookie's name, which shares MaxCookieSize
// with the token.
const maxCookieNameLen = 256

// maxCookieAttempts bounds how many cookies of the session's name one
// request may make the Manager try, so that a request carrying many copies
// costs a bounded number of store lookups.
const maxCookieAttempts = 8

// Manager is the HTTP side of sessions: it reads the session cookie, gives
// handlers the Session, and writes the cookie back when the session
// changed. Create one with NewManager; it is safe for concurrent use.
type Manager struct {
	store    Store
	cookie   http.Cookie // attributes of every cookie written
	attrs    cookieAttrs // cookie's attributes, rendered for Set-Cookie
	idle     time.Duration
	lifetime time.Duration
	// maxLifetime bounds a session's own timeouts (Options.MaxLifetime).
	maxLifetime time.Duration
	touch       int64 // seconds
	onError     func(w http.ResponseWriter, r *http.Request, err error)
	log         *slog.Logger
	now         func() time.Time
	bearer      bool
	keepID      bool   // Options.KeepIDOnLogin
	vary        string // the Vary header of every response
	observer    Observer
	// box carries observer to the stores in the context of their calls;
	// nil without an observer.
	box *observe.Box
}

// NewManager returns a Manager that keeps sessions in store. It checks and
// copies opts; invalid options are an error, never silently corrected.
func NewManager(store Store, opts Options) (*Manager, error) {
	if store == nil {
		return nil, errors.New("session: nil store")
	}
	m := &Manager{store: store, onError: opts.ErrorHandler, log: opts.Logger, now: opts.Now,
		bearer: opts.Bearer, keepID: opts.KeepIDOnLogin, observer: opts.Observer}
	if m.observer != nil {
		m.box = &observe.Box{O: m.observer}
	}
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

// storeContext returns ctx for a store call, carrying the observer, so
// that the stores and their key ring report to it too (see
// internal/observe): it is set in Options, and only there.
func (m *Manager) storeContext(ctx context.Context) context.Context {
	if m.box == nil {
		return ctx
	}
	return observe.With(ctx, m.box)
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
		// Header keys here are canonical already: indexing the map skips
		// the canonicalisation that Add, Set and Values spend on each call.
		h := w.Header()
		h["Vary"] = append(h["Vary"], m.vary)
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
	rec, err := m.store.Load(m.storeContext(ctx), m.cookie.Name, token, now)
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
// own creation and issue times, and by its own timeouts, themselves
// bounded by Options.MaxLifetime; and it reports whether s may be used at
// now: its deadlines have not passed, and those times lie at most
// payload.MaxClockSkew (one minute) ahead. Whatever clock sealed s and
// whatever it holds, it ends by now + one minute + MaxLifetime, and what the
// handler, the cookie's Max-Age and the store see afterwards are the
// deadlines enforced here.
// Creation may follow the last issue by a little, and is not refused for
// it: a save that merges a concurrent login (Rebase) keeps the other
// request's creation time.
func (m *Manager) admit(s *Session, now time.Time) bool {
	t := now.Unix()
	d := &s.d
	idle, lifetime := m.timeouts(s)
	d.Expires = min(d.Expires, d.Created+lifetime)
	d.IdleExpires = min(d.IdleExpires, d.Issued+idle, d.Expires)
	ahead := t + int64(payload.MaxClockSkew/time.Second)
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
		h["Set-Cookie"] = append(h["Set-Cookie"], m.setCookie(token, expires, int(max(expires-now, 1))))
	case save:
		h["Set-Cookie"] = append(h["Set-Cookie"], m.setCookie(token, 0, 0))
	default:
		h["Set-Cookie"] = append(h["Set-Cookie"], m.setCookie("", 0, -1))
	}
	if cc := strings.Join(h["Cache-Control"], ", "); cc == "" {
		h["Cache-Control"] = []string{`no-cache="Set-Cookie"`}
	} else if !strings.Contains(strings.ToLower(cc), "no-cache") && !strings.Contains(strings.ToLower(cc), "no-store") {
		h["Cache-Control"] = []string{cc + `, no-cache="Set-Cookie"`}
	}
	return nil
}

// stamp sets the times of a save at now: a session whose user changed
// since its last save starts its lifetime again, so that its creation time
// is never earlier than its login (revocation stamps are checked against
// it), and the idle deadline restarts. Unless Options.KeepIDOnLogin, such
// a session also gets a new ID, as Renew gives. s.mu must be held.
func (m *Manager) stamp(s *Session, now int64) {
	if s.login && !m.keepID && !s.fresh {
		s.renew()
	}
	idle, lifetime := m.timeouts(s)
	switch {
	case s.login && s.d.User != "":
		s.d.Created = now
		fallthrough
	case s.meta&metaLifetime != 0:
		s.d.Expires = s.d.Created + lifetime
	}
	s.d.Issued = now
	s.d.IdleExpires = min(now+idle, s.d.Expires)
}

// timeouts bounds the session's own timeouts by Options.MaxLifetime, so
// that what it seals again never exceeds the current maximum, and returns
// the idle timeout and the lifetime of s in seconds: its own, or the
// Manager's. s.mu must be held.
func (m *Manager) timeouts(s *Session) (idle, lifetime int64) {
	limit := int64(m.maxLifetime / time.Second)
	d := &s.d
	d.IdleTimeout, d.Lifetime = min(d.IdleTimeout, limit), min(d.Lifetime, limit)
	idle, lifetime = int64(m.idle/time.Second), int64(m.lifetime/time.Second)
	if d.IdleTimeout > 0 {
		idle = d.IdleTimeout
	}
	if d.Lifetime > 0 {
		lifetime = d.Lifetime
	}
	return idle, lifetime
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
		if err := m.store.Delete(m.storeContext(ctx), rec, now); err != nil {
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
		if token, err = m.store.Save(m.storeContext(ctx), m.cookie.Name, rec, now); err != nil {
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

// RevokeUser logs the user out everywhere: the store ends every session of
// the user started (created, or logged in) up to now, in whatever form it
// can know of, and keeps what it records for the Manager's MaxLifetime, so
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
	// A session started on a server up to a minute ahead can end that
	// much later.
	return rv.RevokeUser(m.storeContext(ctx), userID, nb, m.maxLifetime+payload.MaxClockSkew)
}
