package keyrotation

// Names for the external tests, of what the package keeps unexported.

// ParseError is the error of a key ring file that Parse refuses.
type ParseError = parseError

const (
	MaxFileSize             = maxFileSize
	DefaultPropagationDelay = defaultPropagationDelay
)

// Replace is what WatchFile does with a ring read from the file.
func (k *Keyring) Replace(next *Keyring) { k.replace(next) }

// ErrTooEarly is the error of a Promote before the propagation delay.
var ErrTooEarly = errTooEarly
