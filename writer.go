package session

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter saves the session before the first byte of the response.
type responseWriter struct {
	http.ResponseWriter
	m        *Manager
	r        *http.Request
	s        *Session
	done     bool  // the save was attempted
	err      error // the save failed and the error handler wrote the response
	hijacked bool
}

// commit saves the session once, and reports whether the handler's response
// may go on.
func (w *responseWriter) commit() bool {
	if !w.done {
		w.done = true
		if err := w.m.Save(w.ResponseWriter, w.r, w.s); err != nil {
			w.err = err
			w.m.fail(w.ResponseWriter, w.r, err)
		}
	}
	return w.err == nil
}

func (w *responseWriter) WriteHeader(code int) {
	// Informational responses other than 101 go out before the final header
	// and leave it open: the session is saved with the final one.
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.commit() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.commit() {
		return 0, w.err
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps io.Copy on the underlying writer's fast path (sendfile).
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.commit() {
		return 0, w.err
	}
	return io.Copy(w.ResponseWriter, src)
}

func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is the flush that http.ResponseController calls.
func (w *responseWriter) FlushError() error {
	if !w.commit() {
		return w.err
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack saves the session and hands over the connection. The cookie, if
// any, is in the header that the hijacker may write itself.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !w.commit() {
		return nil, nil, w.err
	}
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
