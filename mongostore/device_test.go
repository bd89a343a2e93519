package mongostore_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sessionseal/session"
)

// maxUserAgentLen is the longest user agent the Manager gives a store.
const maxUserAgentLen = 256

// TestUnboundedUserAgentIsCapped sends anonymous requests with a megabyte
// User-Agent through a net/http server that accepts such headers, and
// checks that each stored record stays small: the device metadata a record
// keeps for the session's lifetime must not grow with what a client sends.
func TestUnboundedUserAgentIsCapped(t *testing.T) {
	f := newFixture(t, nil)
	m := f.manager(t, session.Options{Cookie: session.CookieOptions{AllowInsecureHTTP: true}})
	srv := httptest.NewUnstartedServer(m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := session.From(r.Context()).Set("visited", true); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})))
	srv.Config.MaxHeaderBytes = 4 << 20
	srv.Start()
	t.Cleanup(srv.Close)

	const requests = 3
	ua := strings.Repeat("Mozilla/5.0 ", (1<<20)/len("Mozilla/5.0 "))
	for range requests {
		req, err := http.NewRequest("GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", ua)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}

	cur, err := f.coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close(ctx)
	n := 0
	for cur.Next(ctx) {
		n++
		// A record holds the sealed payload (about 100 bytes here), its
		// hashed ID, times and version, and the device metadata.
		if size := len(cur.Current); size > 1024 {
			t.Errorf("record %d is %d bytes, want at most 1024", n, size)
		}
		got := cur.Current.Lookup("device", "userAgent").StringValue()
		if want := ua[:maxUserAgentLen]; got != want {
			t.Errorf("record %d: stored user agent of %d bytes, want its first %d", n, len(got), len(want))
		}
		if ip := cur.Current.Lookup("device", "ip").StringValue(); ip != "127.0.0.1" {
			t.Errorf("record %d: stored IP %q, want 127.0.0.1", n, ip)
		}
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}
	if n != requests {
		t.Errorf("%d records, want %d", n, requests)
	}
}
