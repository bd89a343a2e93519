package main

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/examples/internal/demo"
	"github.com/sessionseal/session/keyrotation"
)

func main() {
	demo.Serve("gin", newHandler, "/cart")
}

// newHandler returns the Gin engine with sessions sealed under keys.
func newHandler(keys *keyrotation.Keyring) (*gin.Engine, error) {
	m, err := demo.NewManager(keys, session.Options{
		Bearer: true, // API clients may send Authorization: Bearer
	})
	if err != nil {
		return nil, err
	}
	r := gin.New()
	// Recovery before sessions: a panicking handler saves nothing.
	r.Use(gin.Recovery(), sessions(m))
	r.GET("/cart", showCart)
	r.PUT("/cart/:sku", addItem)
	r.POST("/token", func(c *gin.Context) {
		// The same session, as a token for an API client. Manager.Token
		// saves the session itself; the cookie, if any, stays valid.
		token, err := m.Token(c.Request, session.From(c.Request.Context()))
		if err != nil {
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "cannot issue a token"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"token": token})
	})
	return r, nil
}

// sessions adapts m.Middleware to Gin; see "The adapter" in the package doc.
func sessions(m *session.Manager) gin.HandlerFunc {
	return func(c *gin.Context) {
		ran := false
		m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran = true
			ginWriter := c.Writer
			defer func() { c.Writer = ginWriter }()
			c.Request = r // carries the session
			c.Writer = &sessionWriter{ResponseWriter: ginWriter, w: w}
			c.Next()
		})).ServeHTTP(c.Writer, c.Request)
		if !ran {
			// The Manager wrote the response (401, 503): stop the chain.
			c.Abort()
		}
	}
}

// sessionWriter is the gin.ResponseWriter that handlers write through: its
// output goes through w, the Manager's writer, which saves the session
// before the first byte and then writes to Gin's writer. Gin's writer, which
// w wraps, keeps the status and size that Gin and its middleware read.
type sessionWriter struct {
	gin.ResponseWriter                     // Gin's writer: Status, Size, Written, Pusher, CloseNotify
	w                  http.ResponseWriter // the Manager's writer around it
}

var _ gin.ResponseWriter = (*sessionWriter)(nil)

func (sw *sessionWriter) Header() http.Header { return sw.w.Header() }

// WriteHeader saves the session. Gin's writer only records the code and
// writes the header with the first byte, so headers set after it (as
// c.JSON sets Content-Type) still go out.
func (sw *sessionWriter) WriteHeader(code int) { sw.w.WriteHeader(code) }

func (sw *sessionWriter) Write(p []byte) (int, error) { return sw.w.Write(p) }

func (sw *sessionWriter) WriteString(s string) (int, error) { return io.WriteString(sw.w, s) }

// WriteHeaderNow writes the header without a byte of body. Gin calls it
// after WriteHeader (c.AbortWithStatus, bodiless renders), but a handler or
// middleware may call it alone, so it saves the session first too.
func (sw *sessionWriter) WriteHeaderNow() {
	sw.w.WriteHeader(sw.Status())
	sw.ResponseWriter.WriteHeaderNow()
}

func (sw *sessionWriter) Flush() {
	// Flush has no error to return; a failed save has already written the
	// error handler's response.
	_ = http.NewResponseController(sw.w).Flush()
}

func (sw *sessionWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(sw.w).Hijack()
}

// Unwrap returns the Manager's writer, for http.ResponseController.
func (sw *sessionWriter) Unwrap() http.ResponseWriter { return sw.w }

func showCart(c *gin.Context) {
	cart, err := demo.Cart(session.From(c.Request.Context()))
	if err != nil {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "unreadable cart"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": cart})
}

func addItem(c *gin.Context) {
	s := session.From(c.Request.Context())
	cart, err := demo.Cart(s)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "unreadable cart"})
		return
	}
	sku := c.Param("sku")
	cart[sku]++
	if err := s.Set("cart", cart); err != nil {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "cannot store the cart"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"sku": sku, "qty": cart[sku]})
}
