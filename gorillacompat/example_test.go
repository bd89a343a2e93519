package gorillacompat_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/gorillacompat"
	"github.com/sessionseal/session/keyrotation"
)

// A gorilla/sessions application keeps its handlers and seals its cookies
// under the key ring: only the store's Codecs change.
func ExampleNewCodec() {
	keys, err := keyrotation.Generate() // in production: keyrotation.LoadFile
	if err != nil {
		log.Fatal(err)
	}
	codec, err := gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{})
	if err != nil {
		log.Fatal(err)
	}
	store := &sessions.CookieStore{
		Codecs:  []securecookie.Codec{codec},
		Options: &sessions.Options{Path: "/", MaxAge: 86400 * 30, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode},
	}

	// The application's handlers, unchanged.
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "app-session")
		s.Values["user"] = "alice"
		if err := s.Save(r, w); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	profile := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Get(r, "app-session")
		if err != nil {
			http.Error(w, "bad session", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "user: %v", s.Values["user"])
	})

	rec := httptest.NewRecorder()
	login.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	cookie := rec.Result().Cookies()[0]

	req := httptest.NewRequest("GET", "/profile", nil)
	req.AddCookie(cookie)
	rec = httptest.NewRecorder()
	profile.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())

	// A cookie made for another name does not open under this one.
	var values map[any]any
	fmt.Println("under another name:", codec.Decode("other", cookie.Value, &values) != nil)
	// Output:
	// user: alice
	// under another name: true
}

// A gorilla/sessions FilesystemStore keeps the session in a file and only
// its ID in the cookie, so a session may outgrow a cookie: raise the
// Codec's MaxLength, which the store's own MaxLength method does not reach.
func ExampleNewCodec_filesystemStore() {
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	codec, err := gorillacompat.NewCodec(keys, gorillacompat.CodecOptions{MaxLength: 1 << 20})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store := sessions.NewFilesystemStore(dir)
	store.Codecs = []securecookie.Codec{codec}

	req := httptest.NewRequest("GET", "/", nil)
	s, _ := store.New(req, "app-session")
	s.Values["report"] = strings.Repeat("row;", 5000) // 20 KB
	rec := httptest.NewRecorder()
	if err := s.Save(req, rec); err != nil {
		log.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	fmt.Println("cookie under 200 bytes:", len(cookie.Value) < 200)

	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	s, err = store.Get(req, "app-session")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("report bytes read back:", len(s.Values["report"].(string)))
	// Output:
	// cookie under 200 bytes: true
	// report bytes read back: 20000
}

// A Manager takes over the cookies of a gorilla/sessions CookieStore:
// the first request with one gets its session converted and a new cookie
// in the new format, under the same name.
func ExampleMigrate() {
	hashKey := []byte("the old hash key of the old app.") // from the old configuration
	blockKey := []byte("the old block key, 32 bytes long")

	// A cookie issued by the application before the switch.
	old := sessions.NewCookieStore(hashKey, blockKey)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	s, _ := old.Get(req, "app-session")
	s.Values["user"] = "alice"
	s.AddFlash("welcome back")
	if err := s.Save(req, rec); err != nil {
		log.Fatal(err)
	}
	legacyCookie := rec.Result().Cookies()[0]

	// The new application.
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	store, err := cookiestore.New(keys)
	if err != nil {
		log.Fatal(err)
	}
	m, err := session.NewManager(
		gorillacompat.Migrate(store, gorillacompat.MigrateOptions{}, securecookie.New(hashKey, blockKey)),
		session.Options{Cookie: session.CookieOptions{Name: "app-session"}})
	if err != nil {
		log.Fatal(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.From(r.Context())
		user, _, _ := session.Value[string](s, "user")
		fmt.Println("user:", user, "flashes:", s.Flashes())
	}))

	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(legacyCookie)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	newCookie := rec.Result().Cookies()[0]
	_, err = store.Load(req.Context(), "app-session", newCookie.Value, time.Now())
	fmt.Println("re-issued as", newCookie.Name, "in the new format:", err == nil)
	// Output:
	// user: alice flashes: [welcome back]
	// re-issued as app-session in the new format: true
}
