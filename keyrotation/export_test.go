package keyrotation

import "time"

// Names for the external tests, of what the package keeps unexported.

// ParseError is the error of a key ring file that Parse refuses.
type ParseError = parseError

const (
	MaxFileSize             = maxFileSize
	DefaultPropagationDelay = defaultPropagationDelay
	DefaultMaxLifetime      = defaultMaxLifetime
)

// Replace is what WatchFile does with a ring read from the file.
func (k *Keyring) Replace(next *Keyring) { k.replace(next) }

// SetClock makes the ring read the time from now instead of time.Now.
func (k *Keyring) SetClock(now func() time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.clock = now
}

// ErrTooEarly is the error of a Promote before the propagation delay.
var ErrTooEarly = errTooEarly

// ErrInUse is the error of a Disable before the max lifetime.
var ErrInUse = errInUse
