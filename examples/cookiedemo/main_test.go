package main

import (
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sessionseal/session/examples/internal/demotest"
)

func TestCartAcrossRequests(t *testing.T) {
	h, err := newHandler("")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := demotest.Browser(t)
	for _, item := range []string{"book", "mug"} {
		resp, err := c.PostForm(srv.URL+"/add", url.Values{"item": {item}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "<li>"+item+"</li>") || !strings.Contains(string(body), "Added") {
			t.Fatalf("after adding %s: page lacks it or the flash:\n%s", item, body)
		}
	}
	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<li>book</li>") || !strings.Contains(string(body), "<li>mug</li>") {
		t.Errorf("cart page lacks the items:\n%s", body)
	}
	if strings.Contains(string(body), "Added") {
		t.Errorf("flash shown twice:\n%s", body)
	}
}
