package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/keyrotation"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	keys, err := keyrotation.Generate()
	if err != nil {
		log.Fatal(err)
	}
	h, err := newHandler(keys)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("echo example listening on http://%s/cart", *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}

// newHandler returns the Echo server with sessions sealed under keys.
func newHandler(keys *keyrotation.Keyring) (*echo.Echo, error) {
	store, err := cookiestore.New(keys, cookiestore.Options{CookieName: "session"})
	if err != nil {
		return nil, err
	}
	m, err := session.NewManager(store, session.Options{
		Cookie: session.CookieOptions{AllowInsecureHTTP: true}, // plain HTTP on loopback only
	})
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.Use(echo.WrapMiddleware(m.Middleware))
	e.GET("/cart", showCart)
	e.GET("/cart/:sku", showItem)
	e.PUT("/cart/:sku", addItem)
	return e, nil
}

// loadCart returns the cart kept in the session: quantities by SKU.
func loadCart(s *session.Session) (map[string]int, error) {
	cart, _, err := session.Value[map[string]int](s, "cart")
	if cart == nil {
		cart = map[string]int{}
	}
	return cart, err
}

// errCart is what a client sees of a session value that cannot be read or
// stored; the cause goes to Echo's error handler, not to the client.
func errCart(err error) error {
	return echo.NewHTTPError(http.StatusInternalServerError, "cart unavailable").SetInternal(err)
}

func showCart(c echo.Context) error {
	cart, err := loadCart(session.From(c.Request().Context()))
	if err != nil {
		return errCart(err)
	}
	return c.JSON(http.StatusOK, cart)
}

func showItem(c echo.Context) error {
	cart, err := loadCart(session.From(c.Request().Context()))
	if err != nil {
		return errCart(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"sku": c.Param("sku"), "qty": cart[c.Param("sku")]})
}

func addItem(c echo.Context) error {
	s := session.From(c.Request().Context())
	cart, err := loadCart(s)
	if err != nil {
		return errCart(err)
	}
	sku := c.Param("sku")
	cart[sku]++
	if err := s.Set("cart", cart); err != nil {
		return errCart(err)
	}
	// c.String writes the header: the Manager saves the session and adds
	// Set-Cookie just before.
	return c.String(http.StatusOK, "added "+sku+"\n")
}
