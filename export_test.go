package session

// DefaultErrorHandler lets the external tests call the default
// Options.ErrorHandler directly.
var DefaultErrorHandler = defaultErrorHandler
