package session

// DefaultErrorHandler lets the external tests call the default
// Options.ErrorHandler directly.
var DefaultErrorHandler = defaultErrorHandler

// Persistent reports whether s uses a persistent cookie, for the tests;
// handlers see it in the cookie the Manager sets.
func Persistent(s *Session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d.Persistent
}
