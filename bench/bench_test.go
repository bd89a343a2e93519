package bench

import (
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

// CartItem is the structured value in the reference session.
type CartItem struct {
	SKU string
	Qty int
}

func init() {
	// gorilla/sessions and scs keep values in interface-typed maps, which gob
	// can only encode for registered concrete types.
	gob.Register(CartItem{})
	gob.Register([]CartItem{})
}

// reference is the reference session as typed values: what every
// implementation must give back, compared by TestPeersAgree.
type reference struct {
	UserID string     `json:"user_id"`
	Role   string     `json:"role"`
	Cart   []CartItem `json:"cart"`
	Flash  string     `json:"flash"`
	CSRF   string     `json:"csrf"`
}

var want = reference{
	UserID: "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L",
	Role:   "editor",
	Cart:   []CartItem{{"BOOK-0001", 1}, {"MUG-0042", 2}, {"PEN-0007", 10}},
	Flash:  "Your cart was saved.",
	CSRF:   "kq3V1pXo9bA2sLr7TnE4wYc8HfJ0",
}

// referenceValues returns the reference session as key/value pairs, the one
// source from which every implementation's session is filled.
func referenceValues() []struct {
	key   string
	value any
} {
	return []struct {
		key   string
		value any
	}{
		{"user_id", want.UserID},
		{"role", want.Role},
		{"cart", want.Cart},
		{"flash", want.Flash},
		{"csrf", want.CSRF},
	}
}

// peerCookieName is the cookie name the peers bind into their MACs.
const peerCookieName = "session"

// codec is one implementation of the cookie round trip. encode turns the
// reference session, built beforehand, into a cookie value; decode opens a
// cookie value into the implementation's own representation. read converts
// that representation into a reference; it runs only in TestPeersAgree,
// outside the timed loop.
type codec struct {
	name   string
	encode func(ctx context.Context) (string, error)
	decode func(ctx context.Context, value string) (any, error)
	read   func(decoded any) (reference, error)
}

func newCodecs() ([]codec, error) {
	seal, err := newSessionsealCodec()
	if err != nil {
		return nil, err
	}
	return []codec{seal, newSecurecookieGob(), newSecurecookieJSON()}, nil
}

func newSessionsealCodec() (codec, error) {
	keys, err := keyrotation.Generate()
	if err != nil {
		return codec{}, err
	}
	store, err := cookiestore.New(keys, cookiestore.Options{})
	if err != nil {
		return codec{}, err
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		return codec{}, err
	}
	s := m.NewSession()
	for _, kv := range referenceValues() {
		if err := s.Set(kv.key, kv.value); err != nil {
			return codec{}, err
		}
	}
	return codec{
		name:   "sessionseal",
		encode: func(ctx context.Context) (string, error) { return store.Save(ctx, s) },
		decode: func(ctx context.Context, value string) (any, error) { return store.Load(ctx, value) },
		read:   readSessionseal,
	}, nil
}

// readSessionseal reads the reference keys from a *session.Session.
func readSessionseal(decoded any) (reference, error) {
	s, ok := decoded.(*session.Session)
	if !ok {
		return reference{}, fmt.Errorf("decoded a %T, want *session.Session", decoded)
	}
	var r reference
	var errs []error
	get := func(key string, dst any) {
		ok, err := s.Get(key, dst)
		if !ok && err == nil {
			err = fmt.Errorf("no value under %q", key)
		}
		errs = append(errs, err)
	}
	get("user_id", &r.UserID)
	get("role", &r.Role)
	get("cart", &r.Cart)
	get("flash", &r.Flash)
	get("csrf", &r.CSRF)
	return r, errors.Join(errs...)
}

// newSecureCookie returns a codec with gorilla's defaults: AES-256-CTR for a
// 32-byte block key, HMAC-SHA256, gob.
func newSecureCookie() *securecookie.SecureCookie {
	return securecookie.New(securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32))
}

func newSecurecookieGob() codec {
	sc := newSecureCookie()
	values := map[any]any{}
	for _, kv := range referenceValues() {
		values[kv.key] = kv.value
	}
	return codec{
		name:   "securecookie-gob",
		encode: func(context.Context) (string, error) { return sc.Encode(peerCookieName, values) },
		decode: func(_ context.Context, value string) (any, error) {
			dst := map[any]any{}
			err := sc.Decode(peerCookieName, value, &dst)
			return dst, err
		},
		read: func(decoded any) (reference, error) {
			m, ok := decoded.(map[any]any)
			if !ok {
				return reference{}, fmt.Errorf("decoded a %T, want map[any]any", decoded)
			}
			return readInterfaceMap(func(key string) any { return m[key] })
		},
	}
}

func newSecurecookieJSON() codec {
	sc := newSecureCookie().SetSerializer(securecookie.JSONEncoder{})
	// JSON cannot encode map[any]any, so this variant uses string keys.
	values := map[string]any{}
	for _, kv := range referenceValues() {
		values[kv.key] = kv.value
	}
	return codec{
		name:   "securecookie-json",
		encode: func(context.Context) (string, error) { return sc.Encode(peerCookieName, values) },
		decode: func(_ context.Context, value string) (any, error) {
			dst := map[string]any{}
			err := sc.Decode(peerCookieName, value, &dst)
			return dst, err
		},
		read: func(decoded any) (reference, error) {
			// The values come back as JSON's generic types (float64,
			// []any); re-encoding them lets encoding/json do the typing.
			b, err := json.Marshal(decoded)
			if err != nil {
				return reference{}, err
			}
			var r reference
			err = json.Unmarshal(b, &r)
			return r, err
		},
	}
}

// readInterfaceMap reads the reference keys from an interface-typed map,
// as gob decodes it.
func readInterfaceMap(get func(key string) any) (reference, error) {
	var r reference
	var errs []error
	assign := func(key string, dst any) {
		v := get(key)
		d := reflect.ValueOf(dst).Elem()
		if v == nil || reflect.TypeOf(v) != d.Type() {
			errs = append(errs, fmt.Errorf("value under %q is a %T, want %v", key, v, d.Type()))
			return
		}
		d.Set(reflect.ValueOf(v))
	}
	assign("user_id", &r.UserID)
	assign("role", &r.Role)
	assign("cart", &r.Cart)
	assign("flash", &r.Flash)
	assign("csrf", &r.CSRF)
	return r, errors.Join(errs...)
}

// server is one implementation of the request path: handler reads user_id
// from the session of req, which carries a cookie made beforehand, and
// stores what it read in seen.
type server struct {
	name    string
	handler http.Handler
	req     *http.Request
	cookie  string // the value of the cookie that req carries
	seen    *string
}

// serve runs one request. gorilla/sessions caches the decoded session in
// the request it is given (sessions.GetRegistry overwrites *r), so reusing
// one request would measure a cache hit after the first; every
// implementation therefore gets a fresh shallow copy of the template.
func (s *server) serve(w http.ResponseWriter) {
	r := *s.req
	s.handler.ServeHTTP(w, &r)
}

// discardWriter is a ResponseWriter that costs next to nothing, so that the
// request benchmarks measure the session code rather than a recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func newDiscardWriter() *discardWriter { return &discardWriter{h: http.Header{}} }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// reset readies w for the next request.
func (w *discardWriter) reset() {
	clear(w.h)
	w.code = 0
}

func newServers() ([]server, error) {
	var servers []server
	for _, newServer := range []func() (server, error){newSessionsealServer, newGorillaServer, newSCSServer} {
		s, err := newServer()
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// withCookie makes a cookie by running write once, and returns the template
// request that carries it.
func withCookie(write http.Handler, name string) (*http.Request, string, error) {
	rec := httptest.NewRecorder()
	write.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	res := rec.Result()
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == name {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.AddCookie(c)
			return req, c.Value, nil
		}
	}
	return nil, "", fmt.Errorf("no %q cookie in the response: status %d, Set-Cookie %q", name, res.StatusCode, res.Header.Values("Set-Cookie"))
}

func newSessionsealServer() (server, error) {
	keys, err := keyrotation.Generate()
	if err != nil {
		return server{}, err
	}
	store, err := cookiestore.New(keys, cookiestore.Options{})
	if err != nil {
		return server{}, err
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		return server{}, err
	}
	var setErr error
	write := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		for _, kv := range referenceValues() {
			setErr = errors.Join(setErr, s.Set(kv.key, kv.value))
		}
	}))
	req, cookie, err := withCookie(write, m.CookieName())
	if err = errors.Join(setErr, err); err != nil {
		return server{}, err
	}
	seen := new(string)
	read := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _, err := session.Value[string](session.From(r.Context()), "user_id")
		if err != nil {
			v = "error: " + err.Error()
		}
		*seen = v
	}))
	return server{name: "sessionseal", handler: read, req: req, cookie: cookie, seen: seen}, nil
}

func newGorillaServer() (server, error) {
	store := sessions.NewCookieStore(securecookie.GenerateRandomKey(32), securecookie.GenerateRandomKey(32))
	var writeErr error
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, peerCookieName)
		if err != nil {
			writeErr = err
			return
		}
		for _, kv := range referenceValues() {
			s.Values[kv.key] = kv.value
		}
		writeErr = s.Save(r, w)
	})
	req, cookie, err := withCookie(write, peerCookieName)
	if err = errors.Join(writeErr, err); err != nil {
		return server{}, err
	}
	seen := new(string)
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, peerCookieName)
		if err != nil {
			*seen = "error: " + err.Error()
			return
		}
		v, _ := s.Values["user_id"].(string)
		*seen = v
	})
	return server{name: "gorilla-sessions", handler: read, req: req, cookie: cookie, seen: seen}, nil
}

func newSCSServer() (server, error) {
	sm := scs.New()
	write := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, kv := range referenceValues() {
			sm.Put(r.Context(), kv.key, kv.value)
		}
	}))
	req, cookie, err := withCookie(write, sm.Cookie.Name)
	if err != nil {
		return server{}, err
	}
	seen := new(string)
	read := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = sm.GetString(r.Context(), "user_id")
	}))
	return server{name: "scs-memstore", handler: read, req: req, cookie: cookie, seen: seen}, nil
}

func BenchmarkCookieRoundTrip(b *testing.B) {
	codecs, err := newCodecs()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range codecs {
		b.Run("impl="+c.name, func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			var value string
			for b.Loop() {
				var err error
				if value, err = c.encode(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err = c.decode(ctx, value); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(value)), "cookie-bytes")
		})
	}
}

func BenchmarkRequest(b *testing.B) {
	servers, err := newServers()
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range servers {
		b.Run("impl="+s.name, func(b *testing.B) {
			w := newDiscardWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				s.serve(w)
			}
			if *s.seen != want.UserID {
				b.Fatalf("handler saw user_id %q, want %q", *s.seen, want.UserID)
			}
			b.ReportMetric(float64(len(s.cookie)), "cookie-bytes")
		})
	}
}

// TestPeersAgree checks that every implementation the benchmarks measure
// really round-trips the reference session and really reads it on the
// request path, so that no benchmark can pass by timing a failure.
func TestPeersAgree(t *testing.T) {
	for _, c := range []struct {
		name    string
		got     int
		wantLen int
	}{
		{"user_id", len(want.UserID), 34},
		{"flash", len(want.Flash), 20},
		{"csrf", len(want.CSRF), 28},
	} {
		if c.got != c.wantLen {
			t.Fatalf("reference %s: got %d bytes, want %d", c.name, c.got, c.wantLen)
		}
	}

	codecs, err := newCodecs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codecs {
		t.Run("round trip/"+c.name, func(t *testing.T) {
			value, err := c.encode(t.Context())
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			decoded, err := c.decode(t.Context(), value)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := c.read(decoded)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}

	servers, err := newServers()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		t.Run("request/"+s.name, func(t *testing.T) {
			ctx := s.req.Context()
			// Twice: the second request must decode the cookie again, not
			// find the first one's result in the template request.
			for i := range 2 {
				*s.seen = ""
				w := newDiscardWriter()
				s.serve(w)
				if *s.seen != want.UserID {
					t.Fatalf("request %d: handler saw user_id %q, want %q", i, *s.seen, want.UserID)
				}
				if got := w.h.Values("Set-Cookie"); len(got) != 0 {
					t.Fatalf("request %d: got Set-Cookie %q, want none: the handler changed nothing", i, got)
				}
				if w.code != 0 {
					t.Fatalf("request %d: got status %d written, want none", i, w.code)
				}
				if s.req.Context() != ctx {
					t.Fatalf("request %d: the template request was modified", i)
				}
			}
		})
	}
}
