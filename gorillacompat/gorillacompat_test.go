package gorillacompat_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/gorillacompat"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/storetest"
)

// The cookie name of the legacy application, kept by the migration.
const cookieName = "legacy-name"

var (
	hashKey  = []byte("legacy hash key, 32 bytes long..")
	blockKey = []byte("legacy block key, 32 bytes long.")
)

// cart is an application type stored in gorilla sessions; gob needs it
// registered, in the legacy application and in the migrated one alike.
type cart struct {
	Items []string
	Total int
}

// opaque is a type that gob carries through its binary encoding but whose
// JSON encoding is {}: converting it with Set would lose it silently.
type opaque struct{ secret string }

func (o opaque) MarshalBinary() ([]byte, error)  { return []byte(o.secret), nil }
func (o *opaque) UnmarshalBinary(b []byte) error { o.secret = string(b); return nil }

func init() {
	gob.Register(cart{})
	gob.Register(opaque{})
	gob.Register(time.Time{})
}

func newKeys(t testing.TB) *keyrotation.Keyring {
	t.Helper()
	return must[*keyrotation.Keyring](t)(keyrotation.Generate())
}

// must returns a function that returns v or fails the test with err.
func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		check(t, err)
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// legacyCodec is the codec of sessions.NewCookieStore(hashKey, blockKey).
func legacyCodec() *securecookie.SecureCookie { return securecookie.New(hashKey, blockKey) }

// jsonCodec is legacyCodec with securecookie's JSON serializer.
func jsonCodec() *securecookie.SecureCookie {
	return legacyCodec().SetSerializer(securecookie.JSONEncoder{})
}

// serve starts a test server for h and returns its URL.
func serve(t testing.TB, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func newCookieStore(t testing.TB, keys *keyrotation.Keyring) *cookiestore.Store {
	t.Helper()
	return must[*cookiestore.Store](t)(cookiestore.New(keys))
}

// gorillaCookie runs a real gorilla/sessions handler that fills a session
// with fill and saves it, and returns the cookie it set.
func gorillaCookie(t testing.TB, store sessions.Store, fill func(*sessions.Session)) *http.Cookie {
	t.Helper()
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, cookieName)
		fill(s)
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	code, body, c := testkit.Request(t, url, cookieName, nil)
	if code != http.StatusOK || c == nil {
		t.Fatalf("gorilla handler: got %d %q and cookie %v, want 200 and a cookie", code, body, c)
	}
	return c
}

// reports collects what a migration reports.
type reports struct {
	mu   sync.Mutex
	errs []error
}

func (r *reports) add(_ context.Context, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}
func (r *reports) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// seen is what the handler behind the Manager found in its session.
type seen struct {
	ID      string
	Keys    []string
	User    string
	Cart    cart
	Big     int64
	Flashes []string
}

// newMigratingServer starts a Manager over Migrate(cookiestore, opts, legacy...)
// whose handler reports the session it sees on the returned channel.
func newMigratingServer(t testing.TB, keys *keyrotation.Keyring, rep *reports, legacy ...securecookie.Codec) (url string, got <-chan seen) {
	t.Helper()
	store := gorillacompat.Migrate(newCookieStore(t, keys), gorillacompat.MigrateOptions{OnConversionError: rep.add}, legacy...)
	m := must[*session.Manager](t)(session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: cookieName}}))
	ch := make(chan seen, 1)
	url = serve(t, m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		v := seen{ID: s.ID(), Keys: s.Keys()}
		if _, err := s.Get("user", &v.User); err != nil {
			t.Errorf("Get(user): %v", err)
		}
		if _, err := s.Get("cart", &v.Cart); err != nil {
			t.Errorf("Get(cart): %v", err)
		}
		if _, err := s.Get("big", &v.Big); err != nil {
			t.Errorf("Get(big): %v", err)
		}
		v.Flashes = s.Flashes()
		ch <- v
	})))
	return url, ch
}

func TestMigrateGob(t *testing.T) {
	keys := newKeys(t)
	since := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	legacy := gorillaCookie(t, sessions.NewCookieStore(hashKey, blockKey), func(s *sessions.Session) {
		s.Values["user"] = "alice"
		s.Values["cart"] = cart{Items: []string{"tea", "cups"}, Total: 1250}
		s.Values["big"] = int64(1) << 60
		s.Values["since"] = since // no exported fields, but a JSON encoding of its own
		s.Values[42] = "a non-string key"
		s.Values["opaque"] = opaque{secret: "kept by gob, lost by JSON"}
		s.Values["z"] = complex(1, 2) // gob carries it; JSON cannot
		s.AddFlash("welcome")
		s.AddFlash("back")
		s.AddFlash(7) // a flash that is not a string
	})
	var rep reports
	url, got := newMigratingServer(t, keys, &rep, legacyCodec())

	_, _, c := testkit.Request(t, url, cookieName, legacy)
	v := <-got
	want := seen{ID: v.ID, Keys: []string{"big", "cart", "since", "user"}, User: "alice",
		Cart: cart{Items: []string{"tea", "cups"}, Total: 1250}, Big: 1 << 60, Flashes: []string{"welcome", "back"}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("first request saw %+v, want %+v", v, want)
	}
	errs := rep.all()
	var cerr *gorillacompat.ConversionError
	if len(errs) != 1 || !errors.As(errs[0], &cerr) {
		t.Fatalf("reported %v, want one *ConversionError", errs)
	}
	if wantKeys := []string{"_flash[2]", "int(42)", "opaque", "z"}; !reflect.DeepEqual(cerr.Keys, wantKeys) {
		t.Errorf("ConversionError.Keys = %q, want %q", cerr.Keys, wantKeys)
	}
	if strings.Contains(cerr.Error(), "kept by gob") || strings.Contains(cerr.Error(), "non-string key") {
		t.Errorf("ConversionError text %q quotes a value", cerr.Error())
	}

	// The response re-issued the session in our format, under the same name.
	if c == nil || c.Value == legacy.Value {
		t.Fatalf("first response set no new cookie")
	}
	plain := must[*session.Manager](t)(session.NewManager(newCookieStore(t, keys), session.Options{Cookie: session.CookieOptions{Name: cookieName}}))
	_, s := testkit.Load(t, plain, c)
	if got, _, err := session.Value[time.Time](s, "since"); !got.Equal(since) || err != nil {
		t.Errorf("since = %v, %v; want %v", got, err, since)
	}
	if s.ID() != v.ID {
		t.Errorf("new cookie holds session %q, handler saw %q", s.ID(), v.ID)
	}
	if err := legacyCodec().Decode(cookieName, c.Value, new(map[any]any)); err == nil {
		t.Error("the new cookie decodes with the legacy codec")
	}

	// The next request uses the new cookie: same session, nothing converted.
	_, _, c2 := testkit.Request(t, url, cookieName, c)
	v2 := <-got
	want.Flashes = nil // read once, on the first request
	if !reflect.DeepEqual(v2, want) {
		t.Errorf("second request saw %+v, want %+v", v2, want)
	}
	if n := len(rep.all()); n != 1 {
		t.Errorf("%d reports after the second request, want still 1", n)
	}
	if c2.Value != c.Value {
		t.Error("second request re-issued an unchanged session")
	}
}

// stringKeyJSON is how gorilla applications used JSON: securecookie's
// JSONEncoder cannot encode session.Values (encoding/json refuses maps with
// interface keys), so they converted the keys to strings first.
type stringKeyJSON struct{}

func (stringKeyJSON) Serialize(src any) ([]byte, error) {
	m := map[string]any{}
	for k, v := range src.(map[any]any) {
		m[fmt.Sprint(k)] = v
	}
	return securecookie.JSONEncoder{}.Serialize(m)
}

func (stringKeyJSON) Deserialize(b []byte, dst any) error {
	var m map[string]any
	if err := (securecookie.JSONEncoder{}).Deserialize(b, &m); err != nil {
		return err
	}
	vals := *dst.(*map[any]any)
	for k, v := range m {
		vals[k] = v
	}
	return nil
}

func TestGorillaJSONEncoderCannotSaveValues(t *testing.T) {
	// Why JSON legacy cookies come from securecookie directly or from a
	// serializer like stringKeyJSON, never from the stock CookieStore.
	store := &sessions.CookieStore{Codecs: []securecookie.Codec{jsonCodec()}, Options: &sessions.Options{Path: "/"}}
	r := httptest.NewRequest("GET", "/", nil)
	s, _ := store.Get(r, cookieName)
	s.Values["user"] = "alice"
	if err := s.Save(r, httptest.NewRecorder()); err == nil {
		t.Fatal("gorilla saved session.Values with securecookie.JSONEncoder; the JSON cases below are then incomplete")
	}
}

func TestMigrateJSON(t *testing.T) {
	const big = 1<<60 + 1 // not exact in a float64: must survive as written
	values := map[string]any{"user": "bob", "big": int64(big), "_flash": []any{"saved", 3}}
	tests := []struct {
		name   string
		cookie func(t *testing.T) *http.Cookie
	}{
		{"sessions.CookieStore", func(t *testing.T) *http.Cookie {
			codec := legacyCodec().SetSerializer(stringKeyJSON{})
			store := &sessions.CookieStore{Codecs: []securecookie.Codec{codec}, Options: &sessions.Options{Path: "/", MaxAge: 86400 * 30}}
			return gorillaCookie(t, store, func(s *sessions.Session) {
				for k, v := range values {
					s.Values[k] = v
				}
			})
		}},
		{"securecookie", func(t *testing.T) *http.Cookie {
			url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				v, err := jsonCodec().Encode(cookieName, values)
				if err != nil {
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				http.SetCookie(w, &http.Cookie{Name: cookieName, Value: v, Path: "/"})
			}))
			_, _, c := testkit.Request(t, url, cookieName, nil)
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legacy := tt.cookie(t)
			if legacy == nil {
				t.Fatal("no legacy cookie")
			}
			var rep reports
			url, got := newMigratingServer(t, newKeys(t), &rep, jsonCodec())
			_, _, c := testkit.Request(t, url, cookieName, legacy)
			v := <-got
			want := seen{ID: v.ID, Keys: []string{"big", "user"}, User: "bob", Big: big, Flashes: []string{"saved"}}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("saw %+v, want %+v", v, want)
			}
			var cerr *gorillacompat.ConversionError
			if errs := rep.all(); len(errs) != 1 || !errors.As(errs[0], &cerr) || !reflect.DeepEqual(cerr.Keys, []string{"_flash[1]"}) {
				t.Errorf("reported %v, want the flash 3 left out", errs)
			}
			if c == nil || c.Value == legacy.Value {
				t.Error("no new cookie")
			}
		})
	}
}

// redate returns a securecookie value re-signed as if issued at t: the
// layout is base64url("date|value|mac"), the MAC an HMAC-SHA256 of
// "name|date|value" under the hash key.
func redate(t testing.TB, name, v string, at time.Time) string {
	t.Helper()
	b := must[[]byte](t)(base64.URLEncoding.DecodeString(v))
	parts := strings.SplitN(string(b), "|", 3)
	if len(parts) != 3 {
		t.Fatalf("not a securecookie value: %d parts", len(parts))
	}
	date := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, hashKey)
	fmt.Fprintf(mac, "%s|%s|%s", name, date, parts[1])
	return base64.URLEncoding.EncodeToString(fmt.Appendf(nil, "%s|%s|%s", date, parts[1], mac.Sum(nil)))
}

// flipLast flips a bit of the last byte of a securecookie value: its MAC.
func flipLast(t testing.TB, v string) string {
	t.Helper()
	b := must[[]byte](t)(base64.URLEncoding.DecodeString(v))
	b[len(b)-1] ^= 1
	return base64.URLEncoding.EncodeToString(b)
}

func TestMigrateRejects(t *testing.T) {
	fill := func(s *sessions.Session) { s.Values["user"] = "mallory" }
	good := gorillaCookie(t, sessions.NewCookieStore(hashKey, blockKey), fill).Value
	if err := legacyCodec().Decode(cookieName, redate(t, cookieName, good, time.Now()), new(map[any]any)); err != nil {
		t.Fatalf("redate breaks a cookie: %v", err)
	}
	otherKey := gorillaCookie(t, sessions.NewCookieStore([]byte("another hash key, 32 bytes long."), blockKey), fill).Value
	otherName := must[string](t)(legacyCodec().Encode("other-name", map[any]any{"user": "mallory"}))
	notAMap := must[string](t)(legacyCodec().Encode(cookieName, "authentic, but not session values"))

	tests := []struct {
		name     string
		token    string
		wantErr  error
		reported bool // a *ConversionError without keys
	}{
		{"bad base64", good[:20] + "*" + good[21:], session.ErrInvalid, false},
		{"MAC flipped", flipLast(t, good), session.ErrInvalid, false},
		{"truncated", good[:len(good)-4], session.ErrInvalid, false},
		{"expired", redate(t, cookieName, good, time.Now().Add(-31*24*time.Hour)), session.ErrExpired, false},
		{"wrong hash key", otherKey, session.ErrInvalid, false},
		{"other cookie name", otherName, session.ErrInvalid, false},
		{"not session values", notAMap, session.ErrInvalid, true},
		{"empty", "", session.ErrInvalid, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep reports
			keys := newKeys(t)
			store := gorillacompat.Migrate(newCookieStore(t, keys), gorillacompat.MigrateOptions{OnConversionError: rep.add}, legacyCodec())
			if _, err := store.Load(t.Context(), cookieName, tt.token, time.Now()); !errors.Is(err, tt.wantErr) {
				t.Errorf("Load: got %v, want %v", err, tt.wantErr)
			}
			var cerr *gorillacompat.ConversionError
			errs := rep.all()
			switch {
			case !tt.reported && len(errs) > 0:
				t.Errorf("reported %v, want nothing", errs)
			case tt.reported && (len(errs) != 1 || !errors.As(errs[0], &cerr) || cerr.Keys != nil || cerr.Err == nil):
				t.Errorf("reported %v, want a ConversionError with no keys and a cause", errs)
			}

			// Through the Manager: a fresh, empty session, no cookie set.
			url, got := newMigratingServer(t, keys, &reports{}, legacyCodec())
			_, _, c := testkit.Request(t, url, cookieName, &http.Cookie{Name: cookieName, Value: tt.token})
			if v := <-got; len(v.Keys) != 0 || v.User != "" {
				t.Errorf("handler saw %+v, want an empty session", v)
			}
			if c.Value != tt.token {
				t.Error("response replaced the rejected cookie; want it left alone until the session changes")
			}
		})
	}
}

func TestMigrateDefaultReportLogs(t *testing.T) {
	var buf strings.Builder
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	legacy := gorillaCookie(t, sessions.NewCookieStore(hashKey, blockKey), func(s *sessions.Session) {
		s.Values["user"] = "alice"
		s.Values[3.5] = "secret value"
	})
	store := gorillacompat.Migrate(newCookieStore(t, newKeys(t)), gorillacompat.MigrateOptions{}, legacyCodec())
	if _, err := store.Load(t.Context(), cookieName, legacy.Value, time.Now()); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "float64(3.5)") || strings.Contains(log, "secret value") || strings.Contains(log, legacy.Value) {
		t.Errorf("log %q: want a warning naming float64(3.5), without values or the cookie", log)
	}
}

func TestMigrateSavesThroughStore(t *testing.T) {
	// Legacy codecs only read: a converted session is saved and deleted by
	// the wrapped store.
	legacy := gorillaCookie(t, sessions.NewCookieStore(hashKey, blockKey), func(s *sessions.Session) { s.Values["user"] = "alice" })
	inner := &recordingStore{stubStore: stubStore{session.ErrInvalid}}
	store := gorillacompat.Migrate(inner, gorillacompat.MigrateOptions{}, legacyCodec())
	now := time.Now()
	r := must[*session.Record](t)(store.Load(t.Context(), cookieName, legacy.Value, now))
	if tok := must[string](t)(store.Save(t.Context(), cookieName, r, now)); tok != "saved" {
		t.Errorf("Save returned %q, want the wrapped store's token", tok)
	}
	check(t, store.Delete(t.Context(), r, now))
	if inner.saved != r || inner.deleted != r {
		t.Error("Save and Delete did not reach the wrapped store with the record")
	}
}

// recordingStore is a stubStore that records what it saves and deletes.
type recordingStore struct {
	stubStore
	saved, deleted *session.Record
}

func (s *recordingStore) Save(ctx context.Context, name string, r *session.Record, now time.Time) (string, error) {
	s.saved = r
	return s.stubStore.Save(ctx, name, r, now)
}

func (s *recordingStore) Delete(ctx context.Context, r *session.Record, now time.Time) error {
	s.deleted = r
	return s.stubStore.Delete(ctx, r, now)
}

// countingCodec is a legacy codec that counts its calls.
type countingCodec struct {
	mu sync.Mutex
	n  int
}

func (c *countingCodec) Encode(string, any) (string, error) { return "", errors.New("not used") }
func (c *countingCodec) Decode(string, string, any) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return errors.New("countingCodec: no")
}
func (c *countingCodec) calls() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// stubStore is a store whose Load returns err.
type stubStore struct{ err error }

func (s stubStore) Load(context.Context, string, string, time.Time) (*session.Record, error) {
	return nil, s.err
}
func (s stubStore) Save(context.Context, string, *session.Record, time.Time) (string, error) {
	return "saved", nil
}
func (s stubStore) Delete(context.Context, *session.Record, time.Time) error { return nil }

func TestMigrateTriesLegacyOnlyOnInvalid(t *testing.T) {
	keys := newKeys(t)
	cs := newCookieStore(t, keys)
	m := must[*session.Manager](t)(session.NewManager(cs, session.Options{Cookie: session.CookieOptions{Name: cookieName}}))
	r, s := testkit.Load(t, m, nil)
	check(t, s.Set("user", "alice"))
	valid := testkit.Save(t, m, r, s).Value

	tests := []struct {
		name      string
		store     session.Store
		token     string
		wantErr   error
		wantCalls int
	}{
		{"valid token", cs, valid, nil, 0},
		{"store unavailable", stubStore{session.ErrStoreUnavailable}, valid, session.ErrStoreUnavailable, 0},
		{"invalid token", cs, "x" + valid, session.ErrInvalid, 2},
		{"unknown key", stubStore{fmt.Errorf("%w: %w", session.ErrInvalid, keyrotation.ErrUnknownKey)}, valid, session.ErrInvalid, 2},
		{"other cookie name", stubStore{session.ErrInvalid}, valid, session.ErrInvalid, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := &countingCodec{}, &countingCodec{}
			store := gorillacompat.Migrate(tt.store, gorillacompat.MigrateOptions{}, a, b)
			_, err := store.Load(t.Context(), cookieName, tt.token, time.Now())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Load: got %v, want %v", err, tt.wantErr)
			}
			if got := a.calls() + b.calls(); got != tt.wantCalls {
				t.Errorf("legacy codecs called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
	// An expired token is not a legacy cookie: the Manager, which checks
	// deadlines, refuses it without asking the legacy codecs.
	a := &countingCodec{}
	later := time.Now().Add(8 * 24 * time.Hour)
	lm := must[*session.Manager](t)(session.NewManager(gorillacompat.Migrate(cs, gorillacompat.MigrateOptions{}, a),
		session.Options{Cookie: session.CookieOptions{Name: cookieName}, Now: func() time.Time { return later }}))
	_, got := testkit.Load(t, lm, &http.Cookie{Name: cookieName, Value: valid})
	if got.User() != "" || a.calls() != 0 {
		t.Errorf("expired token: user %q, legacy codecs called %d times; want a new session and no call", got.User(), a.calls())
	}
}

func TestMigratePanics(t *testing.T) {
	panics := []struct {
		name string
		f    func()
	}{
		{"nil store", func() { gorillacompat.Migrate(nil, gorillacompat.MigrateOptions{}) }},
		{"nil codec", func() { gorillacompat.Migrate(newCookieStore(t, newKeys(t)), gorillacompat.MigrateOptions{}, nil) }},
	}
	for _, tt := range panics {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}

func TestMigrateConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Harness {
		clock := testkit.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
		cs := must[*cookiestore.Store](t)(cookiestore.New(newKeys(t)))
		return &storetest.Harness{Store: gorillacompat.Migrate(cs, gorillacompat.MigrateOptions{}, legacyCodec()), Now: clock.Now, Advance: clock.Advance}
	})
}

func TestMigrateFromCodec(t *testing.T) {
	// An application that switched codecs first (NewCodec) and then moves
	// to the Manager lists the Codec as the legacy codec, on the same ring.
	keys := newKeys(t)
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{}))
	legacy := gorillaCookie(t, &sessions.CookieStore{Codecs: []securecookie.Codec{codec}, Options: &sessions.Options{Path: "/"}},
		func(s *sessions.Session) { s.Values["user"] = "carol" })

	// Sealed with the same subkey for the same cookie name, it is still not
	// a cookiestore token.
	if _, err := newCookieStore(t, keys).Load(t.Context(), cookieName, legacy.Value, time.Now()); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("cookiestore.Load(Codec token) = %v, want ErrInvalid", err)
	}
	var rep reports
	url, got := newMigratingServer(t, keys, &rep, codec)
	_, _, c := testkit.Request(t, url, cookieName, legacy)
	if v := <-got; v.User != "carol" {
		t.Errorf("user = %q, want carol", v.User)
	}
	if _, err := newCookieStore(t, keys).Load(t.Context(), cookieName, c.Value, time.Now()); err != nil {
		t.Errorf("new cookie: %v", err)
	}
	if errs := rep.all(); len(errs) != 0 {
		t.Errorf("reported %v", errs)
	}
}

// ---- Codec ----

func TestCodecGorillaRoundTrip(t *testing.T) {
	keys := newKeys(t)
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{}))
	store := &sessions.CookieStore{Codecs: []securecookie.Codec{codec}, Options: &sessions.Options{Path: "/", MaxAge: 86400 * 30, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}}
	c := gorillaCookie(t, store, func(s *sessions.Session) {
		s.Values["user"] = "alice"
		s.Values["cart"] = cart{Items: []string{"tea"}, Total: 300}
		s.Values[7] = "non-string keys are fine in gorilla"
		s.AddFlash("hello")
	})
	if strings.ContainsRune(c.Value, '=') || len(c.Name)+len(c.Value) > session.MaxCookieSize {
		t.Errorf("cookie value %d bytes, padded or too long", len(c.Value))
	}

	got := make(chan map[any]any, 1)
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, cookieName)
		if err != nil || s.IsNew {
			t.Errorf("store.Get: %v, IsNew %v", err, s.IsNew)
		}
		s.Flashes() // gorilla's Flashes, as a handler calls it
		got <- s.Values
	}))
	testkit.Request(t, url, cookieName, c)
	want := map[any]any{"user": "alice", "cart": cart{Items: []string{"tea"}, Total: 300}, 7: "non-string keys are fine in gorilla"}
	if v := <-got; !reflect.DeepEqual(v, want) {
		t.Errorf("values = %v, want %v", v, want)
	}
}

// kid returns the key ID in a token's header.
func kid(t testing.TB, token string) uint32 {
	t.Helper()
	b := must[[]byte](t)(base64.RawURLEncoding.DecodeString(token))
	return binary.BigEndian.Uint32(b[2:6])
}

func TestCodecRotation(t *testing.T) {
	keys := newKeys(t)
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{}))
	oldID := keys.Keys()[0].ID
	old := must[string](t)(codec.Encode(cookieName, map[any]any{"n": 1}))

	newID := testkit.Rotate(t, keys)
	fresh := must[string](t)(codec.Encode(cookieName, map[any]any{"n": 2}))
	if kid(t, old) != oldID || kid(t, fresh) != newID {
		t.Errorf("key IDs %d, %d; want %d then %d", kid(t, old), kid(t, fresh), oldID, newID)
	}
	for _, tok := range []string{old, fresh} {
		if err := codec.Decode(cookieName, tok, new(map[any]any)); err != nil {
			t.Errorf("Decode after promotion: %v", err)
		}
	}

	check(t, keys.Disable(oldID))
	err := codec.Decode(cookieName, old, new(map[any]any))
	if !errors.Is(err, session.ErrInvalid) {
		t.Errorf("Decode under a disabled key: got %v, want ErrInvalid", err)
	}
	if err := codec.Decode(cookieName, fresh, new(map[any]any)); err != nil {
		t.Errorf("Decode under the new key: %v", err)
	}
}

func TestCodecTamper(t *testing.T) {
	keys := newKeys(t)
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{}))
	tok := must[string](t)(codec.Encode(cookieName, map[any]any{"user": "alice"}))
	raw := must[[]byte](t)(base64.RawURLEncoding.DecodeString(tok))

	type tamper struct {
		name  string
		token string
		cname string
	}
	var tests []tamper
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		tests = append(tests, tamper{fmt.Sprintf("byte %d", i), base64.RawURLEncoding.EncodeToString(b), cookieName})
	}
	m := must[*session.Manager](t)(session.NewManager(newCookieStore(t, keys), session.Options{Cookie: session.CookieOptions{Name: cookieName}}))
	r, s := testkit.Load(t, m, nil)
	check(t, s.Set("user", "alice"))
	csToken := testkit.Save(t, m, r, s).Value
	tests = append(tests,
		tamper{"other cookie name", tok, "other"},
		tamper{"cookiestore token", csToken, cookieName},
		tamper{"truncated", tok[:len(tok)-1], cookieName},
		tamper{"padded", tok + "=", cookieName},
		tamper{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+", cookieName},
		tamper{"too long", tok + strings.Repeat("A", session.MaxCookieSize), cookieName},
		tamper{"empty", "", cookieName},
		tamper{"securecookie value", must[string](t)(legacyCodec().Encode(cookieName, map[any]any{})), cookieName},
	)
	for _, tt := range tests {
		err := codec.Decode(tt.cname, tt.token, new(map[any]any))
		if !errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", tt.name, err)
			continue
		}
		var se securecookie.Error
		if !errors.As(err, &se) || !se.IsDecode() || se.IsUsage() || se.IsInternal() || se.Cause() != nil {
			t.Errorf("%s: %v is not a securecookie decode error without cause", tt.name, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "gorillacompat: ") || (tt.token != "" && strings.Contains(msg, tt.token)) {
			t.Errorf("%s: error text %q", tt.name, msg)
		}
	}
}

func TestCodecDeserializeError(t *testing.T) {
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(newKeys(t), gorillacompat.CodecOptions{}))
	tok := must[string](t)(codec.Encode(cookieName, "a string"))
	var n int
	err := codec.Decode(cookieName, tok, &n)
	var se securecookie.Error
	if err == nil || errors.Is(err, session.ErrInvalid) || errors.Is(err, session.ErrExpired) {
		t.Fatalf("Decode into the wrong type: got %v, want a deserialization error", err)
	}
	if !errors.As(err, &se) || !se.IsDecode() || se.Cause() == nil {
		t.Errorf("%v is not a securecookie decode error with a cause", err)
	}
}

func TestCodecMaxAge(t *testing.T) {
	keys := newKeys(t)
	clock := testkit.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{MaxAge: time.Hour, Now: clock.Now}))
	tok := must[string](t)(codec.Encode(cookieName, "v"))
	tampered := tok[:len(tok)-2] + string(tok[len(tok)-2]^1) + tok[len(tok)-1:]

	steps := []struct {
		name    string
		advance time.Duration
		token   string
		want    error
	}{
		{"fresh", 0, tok, nil},
		{"just before MaxAge", time.Hour - time.Second, tok, nil},
		{"at MaxAge", time.Second, tok, session.ErrExpired},
		{"tampered and expired", 0, tampered, session.ErrInvalid},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		var v string
		err := codec.Decode(cookieName, st.token, &v)
		if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", st.name, err, st.want)
			continue
		}
		if st.want == nil && v != "v" {
			t.Errorf("%s: decoded %q, want %q", st.name, v, "v")
		}
		if errors.Is(err, session.ErrExpired) && errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: %v matches both ErrExpired and ErrInvalid", st.name, err)
		}
		var se securecookie.Error
		if err != nil && (!errors.As(err, &se) || !se.IsDecode()) {
			t.Errorf("%s: %v is not a securecookie decode error", st.name, err)
		}
	}
}

// TestCodecFutureTimesAreNotTrusted checks that a value sealed more than
// a minute ahead of the decoding clock is refused as expired:
// MaxAge, counted from a time in the future, would not bound it.
func TestCodecFutureTimesAreNotTrusted(t *testing.T) {
	keys := newKeys(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		ahead time.Duration // how far the sealing server's clock runs fast
		later time.Duration // when the value is decoded, on a correct clock
		want  error
	}{
		{"sealed a year ahead, decoded 30 days later", 365 * 24 * time.Hour, 30 * 24 * time.Hour, session.ErrExpired},
		{"sealed 2h ahead", 2 * time.Hour, 0, session.ErrExpired},
		{"one second beyond the skew", time.Minute + time.Second, 0, session.ErrExpired},
		{"within the skew", time.Minute, 0, nil},
	}
	for _, tt := range tests {
		fast := testkit.NewClock(now.Add(tt.ahead))
		sealer := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{Now: fast.Now}))
		tok := must[string](t)(sealer.Encode(cookieName, "v"))
		correct := testkit.NewClock(now.Add(tt.later))
		codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{Now: correct.Now}))
		var v string
		err := codec.Decode(cookieName, tok, &v)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
			continue
		}
		var se securecookie.Error
		if err != nil && (!errors.As(err, &se) || !se.IsDecode()) {
			t.Errorf("%s: %v is not a securecookie decode error", tt.name, err)
		}
	}
}

func TestCodecEncodeErrors(t *testing.T) {
	keys := newKeys(t)
	codec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{}))

	_, err := codec.Encode(cookieName, strings.Repeat("x", session.MaxCookieSize))
	var size *session.SizeError
	var se securecookie.Error
	if !errors.Is(err, session.ErrTooLarge) || !errors.As(err, &size) || size.Size <= size.Limit {
		t.Errorf("Encode(too large) = %v, want a SizeError", err)
	}
	if !errors.As(err, &se) || !se.IsUsage() {
		t.Errorf("Encode(too large) = %v, want a securecookie usage error", err)
	}

	jsonCodec := must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{Serializer: securecookie.JSONEncoder{}}))
	_, err = jsonCodec.Encode(cookieName, map[any]any{"a": 1})
	if !errors.As(err, &se) || !se.IsUsage() || se.Cause() == nil {
		t.Errorf("Encode(unserializable) = %v, want a securecookie usage error with a cause", err)
	}

	// The largest value that fits is accepted, and its cookie is at the limit.
	lo, hi := 0, session.MaxCookieSize
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, err := codec.Encode(cookieName, strings.Repeat("x", mid)); err == nil {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	tok := must[string](t)(codec.Encode(cookieName, strings.Repeat("x", lo)))
	if n := len(cookieName) + len(tok); n > session.MaxCookieSize || n < session.MaxCookieSize-4 {
		t.Errorf("largest cookie is %d bytes, want just under %d", n, session.MaxCookieSize)
	}
}

// TestCodecLengthLimitForFilesystemStore is gorilla/sessions' TestGH2MaxLength
// with a Codec: a session of about 8 KB does not fit the default limit,
// which is a cookie's, and gorilla's FilesystemStore.MaxLength reaches only
// *securecookie.SecureCookie; with CodecOptions.MaxLength raised, the store
// saves the session in its file and reads it back, and values longer than
// the raised limit are still refused before decoding.
func TestCodecLengthLimitForFilesystemStore(t *testing.T) {
	keys := newKeys(t)
	const name = "big-session"
	big := make([]byte, 6144) // about 8 KB once serialized, sealed and encoded
	newStore := func(opts gorillacompat.CodecOptions) *sessions.FilesystemStore {
		store := sessions.NewFilesystemStore(t.TempDir())
		store.Codecs = []securecookie.Codec{must[*gorillacompat.Codec](t)(gorillacompat.NewCodec(keys, opts))}
		return store
	}
	save := func(store *sessions.FilesystemStore) (*http.Cookie, error) {
		req := httptest.NewRequest("GET", "/", nil)
		s := must[*sessions.Session](t)(store.New(req, name))
		s.Values["big"] = big
		rec := httptest.NewRecorder()
		if err := s.Save(req, rec); err != nil {
			return nil, err
		}
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("Save set %d cookies, want 1", len(cookies))
		}
		return cookies[0], nil
	}

	// gorilla returns the codecs' errors in a securecookie.MultiError, which
	// errors.Is does not look into.
	_, err := save(newStore(gorillacompat.CodecOptions{}))
	if me, ok := err.(securecookie.MultiError); !ok || len(me) != 1 || !errors.Is(me[0], session.ErrTooLarge) {
		t.Errorf("Save under the default limit: got %v, want ErrTooLarge", err)
	}

	const limit = 1 << 20
	store := newStore(gorillacompat.CodecOptions{MaxLength: limit})
	c, err := save(store)
	if err != nil {
		t.Fatalf("Save under MaxLength %d: %v", limit, err)
	}
	if n := len(c.Name) + len(c.Value); n > session.MaxCookieSize {
		t.Errorf("the cookie, which holds only the session's ID, is %d bytes", n)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(c)
	s, err := store.Get(req, name)
	if err != nil || s.IsNew {
		t.Fatalf("Get: %v, IsNew %v", err, s.IsNew)
	}
	if got, _ := s.Values["big"].([]byte); len(got) != len(big) {
		t.Errorf("read back %d bytes, want %d", len(got), len(big))
	}

	codec := store.Codecs[0]
	for _, n := range []int{limit - len(name) + 1, 4 * limit} {
		if err := codec.Decode(name, strings.Repeat("A", n), new(map[any]any)); !errors.Is(err, session.ErrInvalid) {
			t.Errorf("Decode of %d bytes over a limit of %d: got %v, want ErrInvalid", n, limit, err)
		}
	}
	_, err = codec.Encode(name, make([]byte, limit))
	var size *session.SizeError
	if !errors.As(err, &size) || size.Limit != limit {
		t.Errorf("Encode over the raised limit: got %v, want a SizeError with limit %d", err, limit)
	}
}

func TestNewCodecOptions(t *testing.T) {
	keys := newKeys(t)
	tests := []struct {
		name string
		keys *keyrotation.Keyring
		opts gorillacompat.CodecOptions
		ok   bool
	}{
		{"defaults", keys, gorillacompat.CodecOptions{}, true},
		{"one second", keys, gorillacompat.CodecOptions{MaxAge: time.Second}, true},
		{"nil keys", nil, gorillacompat.CodecOptions{}, false},
		{"negative MaxAge", keys, gorillacompat.CodecOptions{MaxAge: -time.Hour}, false},
		{"MaxAge under a second", keys, gorillacompat.CodecOptions{MaxAge: time.Millisecond}, false},
		{"raised MaxLength", keys, gorillacompat.CodecOptions{MaxLength: 1 << 20}, true},
		{"negative MaxLength", keys, gorillacompat.CodecOptions{MaxLength: -1}, false},
	}
	for _, tt := range tests {
		_, err := gorillacompat.NewCodec(tt.keys, tt.opts)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "gorillacompat: ") {
			t.Errorf("%s: error %q lacks the package prefix", tt.name, err)
		}
	}
}
