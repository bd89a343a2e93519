package main

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demo"
	"github.com/sessionseal/session/keyrotation"
)

func main() {
	demo.Serve("echo", newHandler, "/cart")
}

// newHandler returns the Echo server with sessions sealed under keys.
func newHandler(keys *keyrotation.Keyring) (*echo.Echo, error) {
	m, err := demo.NewManager(keys, session.Options{})
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

// errCart is what a client sees of a session value that cannot be read or
// stored; the cause goes to Echo's error handler, not to the client.
func errCart(err error) error {
	return echo.NewHTTPError(http.StatusInternalServerError, "cart unavailable").SetInternal(err)
}

func showCart(c echo.Context) error {
	cart, err := demo.Cart(session.From(c.Request().Context()))
	if err != nil {
		return errCart(err)
	}
	return c.JSON(http.StatusOK, cart)
}

func showItem(c echo.Context) error {
	cart, err := demo.Cart(session.From(c.Request().Context()))
	if err != nil {
		return errCart(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"sku": c.Param("sku"), "qty": cart[c.Param("sku")]})
}

func addItem(c echo.Context) error {
	s := session.From(c.Request().Context())
	cart, err := demo.Cart(s)
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
