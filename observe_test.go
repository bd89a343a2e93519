package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/payload"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
)

func apiManager(t *testing.T, obs session.Observer) (*session.Manager, http.Handler) {
	t.Helper()
	_, m := clockManager(t, session.Options{Bearer: true, Observer: obs})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		s.Renew()
		s.SetUser(r.FormValue("u"))
		token, err := m.Token(r, s)
		if err != nil {
			http.Error(w, "cannot issue a token", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"token": token})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.From(r.Context()).User())
	})
	mux.HandleFunc("POST /note", func(w http.ResponseWriter, r *http.Request) {
		session.From(r.Context()).Set("note", r.FormValue("n"))
	})
	mux.HandleFunc("GET /note", func(w http.ResponseWriter, r *http.Request) {
		n, _, _ := session.Value[string](session.From(r.Context()), "note")
		fmt.Fprint(w, n)
	})
	return m, m.Middleware(mux)
}

func serve(h http.Handler, method, path, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestBearerTokens(t *testing.T) {
	_, h := apiManager(t, nil)
	rec := serve(h, "POST", "/login?u=ada", "")
	var body struct{ Token string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Token == "" {
		t.Fatalf("login: %s, %v", rec.Body, err)
	}
	if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("issuing a token set a cookie: %q", got)
	}
	if rec := serve(h, "GET", "/me", "Bearer "+body.Token); rec.Code != 200 || rec.Body.String() != "ada" {
		t.Errorf("with the token: %d %q, want 200 ada", rec.Code, rec.Body)
	}
	if rec := serve(h, "GET", "/me", "bearer  "+body.Token); rec.Body.String() != "ada" {
		t.Errorf("lower-case scheme: got %q", rec.Body)
	}
	// A change gives the client a new token in the Session-Token header, not a cookie.
	rec = serve(h, "POST", "/note?n=hello", "Bearer "+body.Token)
	next := rec.Header().Get("Session-Token")
	if next == "" || len(rec.Header().Values("Set-Cookie")) != 0 {
		t.Fatalf("changed bearer session: %s %q, cookies %q", "Session-Token", next, rec.Header().Values("Set-Cookie"))
	}
	if rec := serve(h, "GET", "/note", "Bearer "+next); rec.Body.String() != "hello" {
		t.Errorf("with the new token: got %q, want hello", rec.Body)
	}
	if got := rec.Header().Get("Vary"); !strings.Contains(got, "Cookie") {
		t.Errorf("Vary: got %q", got)
	}

	_, foreign := apiManager(t, nil)
	foreignToken := serve(foreign, "POST", "/login?u=eve", "").Body.String()
	for name, auth := range map[string]string{
		"malformed":   "Bearer not-a-token",
		"empty":       "Bearer ",
		"no token":    "Bearer",
		"tab":         "Bearer\tgarbage",
		"tampered":    "Bearer " + body.Token[:20] + string(testkit.Flip(body.Token[20])) + body.Token[21:],
		"foreign key": "Bearer " + strings.TrimSuffix(strings.Split(foreignToken, `"`)[3], `"`),
	} {
		t.Run(name, func(t *testing.T) {
			rec := serve(h, "GET", "/me", auth)
			if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("got %d, WWW-Authenticate %q; want 401 with a Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
			if len(rec.Header().Values("Set-Cookie")) != 0 {
				t.Error("a refused bearer token got a cookie")
			}
		})
	}
	// Other schemes are not bearer tokens: the request goes on with a fresh session.
	if rec := serve(h, "GET", "/me", "Basic YWRhOnB3"); rec.Code != 200 || rec.Body.String() != "" {
		t.Errorf("Basic auth: %d %q, want 200 and no user", rec.Code, rec.Body)
	}
}

func TestBearerOffByDefault(t *testing.T) {
	m := newManager(t)
	r, s := testkit.Load(t, m, nil)
	s.SetUser("ada")
	token, err := m.Token(r, s)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.From(r.Context()).User())
	}))
	if rec := serve(h, "GET", "/", "Bearer "+token); rec.Code != 200 || rec.Body.String() != "" {
		t.Errorf("bearer token without Options.Bearer: %d %q, want it ignored", rec.Code, rec.Body)
	}
}

func TestObserverEvents(t *testing.T) {
	var obs testkit.Observer
	_, h := apiManager(t, &obs)
	serve(h, "GET", "/me", "")
	loads, saves := obs.Take()
	if len(loads) != 1 || loads[0].Source != "" || loads[0].Found || len(saves) != 0 {
		t.Errorf("request without a token: loads %+v saves %+v", loads, saves)
	}
	rec := serve(h, "POST", "/note?n=x", "")
	cookie := rec.Result().Cookies()[0]
	_, saves = obs.Take()
	if len(saves) != 1 || saves[0].Bytes != len(cookie.Value) || saves[0].Mode != session.ModeCookie || saves[0].Err != nil {
		t.Errorf("save: %+v, want one with the token's %d bytes", saves, len(cookie.Value))
	}
	req := httptest.NewRequest("GET", "/note", nil)
	req.AddCookie(cookie)
	req.Header.Add("Cookie", cookie.Name+"=garbage")
	h.ServeHTTP(httptest.NewRecorder(), req)
	loads, _ = obs.Take()
	if len(loads) != 1 || !loads[0].Found || loads[0].Source != "cookie" {
		t.Errorf("valid cookie: %+v", loads)
	}
	req = httptest.NewRequest("GET", "/note", nil)
	req.Header.Set("Cookie", cookie.Name+"=garbage")
	h.ServeHTTP(httptest.NewRecorder(), req)
	loads, _ = obs.Take()
	if len(loads) != 1 || loads[0].Rejected != "invalid" || loads[0].Found {
		t.Errorf("garbage cookie: %+v", loads)
	}
	for _, e := range loads {
		if strings.Contains(fmt.Sprint(e), cookie.Value[:10]) {
			t.Error("an event carries the token")
		}
	}
	// A token issued with Manager.Token is a save too.
	var body struct{ Token string }
	json.Unmarshal(serve(h, "POST", "/login?u=ada", "").Body.Bytes(), &body)
	_, saves = obs.Take()
	if len(saves) != 1 || saves[0].Bytes != len(body.Token) || saves[0].Err != nil {
		t.Errorf("Token: saves %+v, want one with the token's %d bytes", saves, len(body.Token))
	}
}

// TestStoreMadeSessionGetsDeadlines: a store that makes a session from
// something else (a legacy cookie it converts) marks the record Converted
// and leaves the payload's times zero; the Manager gives it deadlines and
// issues a token of its own, without the store asking for it.
func TestStoreMadeSessionGetsDeadlines(t *testing.T) {
	keys, err := keyrotation.Generate()
	if err != nil {
		t.Fatal(err)
	}
	inner, err := cookiestore.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	converted := payload.Data{ID: payload.NewID(), Entries: []payload.Entry{{Key: "from", Value: []byte(`"legacy"`)}}}
	store := &fixedStore{Store: inner, rec: session.Record{Payload: converted.Append(nil), Mode: session.ModeCookie, Converted: true}}
	clock := testkit.NewClock(start)
	m, err := session.NewManager(store, session.Options{Cookie: session.CookieOptions{Name: "sid"}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sid", Value: "legacy"})
	s, err := m.Load(req)
	if err != nil {
		t.Fatal(err)
	}
	if s.StartedAt().IsZero() || !s.IdleDeadline().After(s.StartedAt()) || !s.Deadline().After(s.StartedAt()) {
		t.Errorf("deadlines: started %v idle %v deadline %v", s.StartedAt(), s.IdleDeadline(), s.Deadline())
	}
	if v, ok, err := session.Value[string](s, "from"); v != "legacy" || !ok || err != nil {
		t.Errorf("converted value: got %q, %v, %v; want legacy", v, ok, err)
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, req, s); err != nil {
		t.Fatal(err)
	}
	c := rec.Result().Cookies()
	if len(c) != 1 {
		t.Fatalf("the converted session was not re-issued: %v", c)
	}
	if _, err := inner.Load(context.Background(), "sid", c[0].Value, clock.Now()); err != nil {
		t.Errorf("re-issued cookie does not open: %v", err)
	}
}
