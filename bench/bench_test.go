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
	"slices"
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
	store, err := cookiestore.New(keys)
	if err != nil {
		return codec{}, err
	}
	m, err := session.NewManager(store, session.Options{})
	if err != nil {
		return codec{}, err
	}
	s, err := m.Load(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		return codec{}, err
	}
	for _, kv := range referenceValues() {
		if err := s.Set(kv.key, kv.value); err != nil {
			return codec{}, err
		}
	}
	// The Manager encodes the session and the store seals it: Token does
	// both, Load the reverse.
	return codec{
		name: "sessionseal",
		encode: func(ctx context.Context) (string, error) {
			return m.Token(httptest.NewRequestWithContext(ctx, "GET", "/", nil), s)
		},
		decode: func(ctx context.Context, value string) (any, error) {
			r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: m.CookieName(), Value: value})
			return m.Load(r)
		},
		read: readSessionseal,
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

// kind is what the handler of a request does with the session. Each
// request benchmark measures one kind.
type kind int

const (
	readUser   kind = iota // read user_id and change nothing
	readCart               // read the 3-item cart and change nothing
	changeCart             // read the cart, change one quantity, write it back
	kinds
)

var kindNames = [kinds]string{"read user_id", "read cart", "change cart"}

// cartChange is the change that changeCart requests make: one item's
// quantity set to a new value, as a form that updates the cart would.
var cartChange = CartItem{SKU: "MUG-0042", Qty: 3}

// changeQty sets the quantity of the item of cart with cartChange's SKU.
// Every changeCart request of a cookie store changes the quantity the
// cookie made beforehand holds, so every one saves a new cookie; scs, whose
// store keeps the first request's change, saves on each Put all the same.
func changeQty(cart []CartItem) error {
	i := slices.IndexFunc(cart, func(c CartItem) bool { return c.SKU == cartChange.SKU })
	if i < 0 {
		return fmt.Errorf("no item %s in a cart of %d", cartChange.SKU, len(cart))
	}
	cart[i].Qty = cartChange.Qty
	return nil
}

// wantChanged returns the reference cart after changeQty.
func wantChanged() []CartItem {
	cart := slices.Clone(want.Cart)
	if err := changeQty(cart); err != nil {
		panic(err) // want.Cart is a constant of this file
	}
	return cart
}

// seen is what the handler of the last request read, or the cart it wrote,
// and the error it met.
type seen struct {
	userID string
	cart   []CartItem
	err    error
}

// bareName names the implementation without sessions, whose time the
// request benchmarks subtract.
const bareName = "bare"

// server is one implementation of the request path: a handler for each
// kind, all reading the session of req, which carries a cookie made
// beforehand, and recording in saw what they saw.
type server struct {
	name       string
	handlers   [kinds]http.Handler
	req        *http.Request
	cookieName string
	cookie     string // the value of the cookie that req carries
	saw        *seen
}

// serve runs one request of kind k. gorilla/sessions caches the decoded
// session in the request it is given (sessions.GetRegistry overwrites *r),
// so reusing one request would measure a cache hit after the first; every
// implementation therefore gets a fresh shallow copy of the template.
func (s *server) serve(w http.ResponseWriter, k kind) {
	r := *s.req
	s.handlers[k].ServeHTTP(w, &r)
}

// check reports an error unless the handler of the last request of kind k
// saw the reference session: its user_id, its cart, or the changed cart.
func (s *server) check(k kind) error {
	if s.saw.err != nil {
		return fmt.Errorf("%s: handler failed: %v", kindNames[k], s.saw.err)
	}
	switch k {
	case readUser:
		if s.saw.userID != want.UserID {
			return fmt.Errorf("%s: handler saw %q, want %q", kindNames[k], s.saw.userID, want.UserID)
		}
	case readCart:
		if !reflect.DeepEqual(s.saw.cart, want.Cart) {
			return fmt.Errorf("%s: handler saw %+v, want %+v", kindNames[k], s.saw.cart, want.Cart)
		}
	case changeCart:
		if w := wantChanged(); !reflect.DeepEqual(s.saw.cart, w) {
			return fmt.Errorf("%s: handler wrote %+v, want %+v", kindNames[k], s.saw.cart, w)
		}
	}
	return nil
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
	servers := []server{newBareServer()}
	for _, newServer := range []func() (server, error){newSessionsealServer, newSecurecookieServer, newGorillaServer, newSCSServer} {
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

// newBareServer returns handlers that do the same work without sessions,
// on values held in memory: the baseline that the session layer of each
// implementation adds to.
func newBareServer() server {
	cart := slices.Clone(want.Cart)
	saw := new(seen)
	srv := server{name: bareName, req: httptest.NewRequest(http.MethodGet, "/", nil), saw: saw}
	srv.handlers[readUser] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.userID, saw.err = want.UserID, nil
	})
	srv.handlers[readCart] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.cart, saw.err = cart, nil
	})
	srv.handlers[changeCart] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.cart, saw.err = cart, changeQty(cart)
	})
	return srv
}

func newSessionsealServer() (server, error) {
	keys, err := keyrotation.Generate()
	if err != nil {
		return server{}, err
	}
	store, err := cookiestore.New(keys)
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
	saw := new(seen)
	srv := server{name: "sessionseal", req: req, cookieName: m.CookieName(), cookie: cookie, saw: saw}
	srv.handlers[readUser] = m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.userID, _, saw.err = session.Value[string](session.From(r.Context()), "user_id")
	}))
	srv.handlers[readCart] = m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.cart, _, saw.err = session.Value[[]CartItem](session.From(r.Context()), "cart")
	}))
	srv.handlers[changeCart] = m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		cart, _, err := session.Value[[]CartItem](s, "cart")
		if err == nil {
			err = changeQty(cart)
		}
		if err == nil {
			err = s.Set("cart", cart)
		}
		saw.cart, saw.err = cart, err
	}))
	return srv, nil
}

// newSecurecookieServer uses gorilla/securecookie directly, as an
// application that keeps its session in one typed struct would: the
// handler decodes the cookie into a reference with securecookie.JSONEncoder
// and, to change it, encodes it again and sets the cookie itself.
func newSecurecookieServer() (server, error) {
	sc := newSecureCookie().SetSerializer(securecookie.JSONEncoder{})
	value, err := sc.Encode(peerCookieName, want)
	if err != nil {
		return server{}, err
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: peerCookieName, Value: value})
	load := func(r *http.Request) (reference, error) {
		var ref reference
		c, err := r.Cookie(peerCookieName)
		if err == nil {
			err = sc.Decode(peerCookieName, c.Value, &ref)
		}
		return ref, err
	}
	saw := new(seen)
	srv := server{name: "securecookie-json", req: req, cookieName: peerCookieName, cookie: value, saw: saw}
	srv.handlers[readUser] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, err := load(r)
		saw.userID, saw.err = ref.UserID, err
	})
	srv.handlers[readCart] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, err := load(r)
		saw.cart, saw.err = ref.Cart, err
	})
	srv.handlers[changeCart] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref, err := load(r)
		if err == nil {
			err = changeQty(ref.Cart)
		}
		var v string
		if err == nil {
			v, err = sc.Encode(peerCookieName, ref)
		}
		if err == nil {
			http.SetCookie(w, &http.Cookie{Name: peerCookieName, Value: v, Path: "/",
				Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		saw.cart, saw.err = ref.Cart, err
	})
	return srv, nil
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
	saw := new(seen)
	srv := server{name: "gorilla-sessions", req: req, cookieName: peerCookieName, cookie: cookie, saw: saw}
	srv.handlers[readUser] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, peerCookieName)
		var v string
		if err == nil {
			v, _ = s.Values["user_id"].(string)
		}
		saw.userID, saw.err = v, err
	})
	srv.handlers[readCart] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, peerCookieName)
		var cart []CartItem
		if err == nil {
			cart, _ = s.Values["cart"].([]CartItem)
		}
		saw.cart, saw.err = cart, err
	})
	srv.handlers[changeCart] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, peerCookieName)
		var cart []CartItem
		if err == nil {
			cart, _ = s.Values["cart"].([]CartItem)
			err = changeQty(cart)
		}
		if err == nil {
			s.Values["cart"] = cart
			err = s.Save(r, w)
		}
		saw.cart, saw.err = cart, err
	})
	return srv, nil
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
	saw := new(seen)
	srv := server{name: "scs-memstore", req: req, cookieName: sm.Cookie.Name, cookie: cookie, saw: saw}
	srv.handlers[readUser] = sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.userID, saw.err = sm.GetString(r.Context(), "user_id"), nil
	}))
	srv.handlers[readCart] = sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.cart, _ = sm.Get(r.Context(), "cart").([]CartItem)
		saw.err = nil
	}))
	srv.handlers[changeCart] = sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cart, _ := sm.Get(r.Context(), "cart").([]CartItem)
		err := changeQty(cart)
		if err == nil {
			sm.Put(r.Context(), "cart", cart)
		}
		saw.cart, saw.err = cart, err
	}))
	return srv, nil
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

func BenchmarkRequest(b *testing.B)    { benchmarkRequests(b, readUser) }
func BenchmarkCartRead(b *testing.B)   { benchmarkRequests(b, readCart) }
func BenchmarkCartChange(b *testing.B) { benchmarkRequests(b, changeCart) }

// benchmarkRequests runs requests of kind k through each implementation.
// impl=bare runs first; each other implementation then also reports, as
// overhead-ns/op, its time per request less bare's in the same run: what
// its session layer adds to the handler.
func benchmarkRequests(b *testing.B, k kind) {
	servers, err := newServers()
	if err != nil {
		b.Fatal(err)
	}
	var bareNs float64
	for _, s := range servers {
		b.Run("impl="+s.name, func(b *testing.B) {
			w := newDiscardWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				s.serve(w, k)
			}
			if err := s.check(k); err != nil {
				b.Fatal(err)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			switch {
			case s.name == bareName:
				bareNs = ns
			case bareNs > 0:
				b.ReportMetric(ns-bareNs, "overhead-ns/op")
			}
			if s.cookie != "" {
				b.ReportMetric(float64(len(s.cookie)), "cookie-bytes")
			}
		})
	}
}

// TestPeersAgree checks that every implementation the benchmarks measure
// really round-trips the reference session, really reads it on the
// request path, and really saves a change, so that no benchmark can pass
// by timing a failure.
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
	if reflect.DeepEqual(wantChanged(), want.Cart) {
		t.Fatalf("changeQty leaves the reference cart %+v as it is: a change request would save nothing", want.Cart)
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
		for k := range kinds {
			t.Run("request/"+kindNames[k]+"/"+s.name, func(t *testing.T) {
				ctx := s.req.Context()
				// Twice: the second request must decode the cookie again,
				// not find the first one's result in the template request.
				for i := range 2 {
					*s.saw = seen{}
					w := newDiscardWriter()
					s.serve(w, k)
					if err := s.check(k); err != nil {
						t.Fatalf("request %d: %v", i, err)
					}
					if w.code != 0 {
						t.Fatalf("request %d: got status %d written, want none", i, w.code)
					}
					if s.req.Context() != ctx {
						t.Fatalf("request %d: the template request was modified", i)
					}
					got := w.h.Values("Set-Cookie")
					switch {
					case k != changeCart || s.name == bareName:
						if len(got) != 0 {
							t.Fatalf("request %d: got Set-Cookie %q, want none: the handler saved nothing", i, got)
						}
					default:
						readBack(t, s, got)
					}
				}
			})
		}
	}
}

// readBack checks that the cookie a changeCart request of s set, among
// setCookies, holds the changed cart, by reading it in a readCart request.
func readBack(t *testing.T, s server, setCookies []string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, line := range setCookies {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.Name == s.cookieName {
			req.AddCookie(c)
		}
	}
	if len(req.Cookies()) != 1 {
		t.Fatalf("got Set-Cookie %q, want one %q cookie", setCookies, s.cookieName)
	}
	*s.saw = seen{}
	s.handlers[readCart].ServeHTTP(newDiscardWriter(), req)
	if s.saw.err != nil {
		t.Fatalf("reading the saved cookie back: %v", s.saw.err)
	}
	if w := wantChanged(); !reflect.DeepEqual(s.saw.cart, w) {
		t.Fatalf("reading the saved cookie back: got cart %+v, want %+v", s.saw.cart, w)
	}
}
