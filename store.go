package session

import (
	"context"
	"time"
)

// Store persists sessions. A token is what the client holds: for a cookie
// store the sealed session itself, for a server store a signed reference to
// a record. Stores never see net/http types; the Manager owns HTTP.
//
// Load returns the session a token stands for. A token that is malformed,
// tampered with, sealed under an unknown key, or for a session that no longer
// exists returns an error matching ErrInvalid; an authentic token past its
// deadlines returns ErrExpired. The Manager treats both as no session. Any
// other error, such as ErrStoreUnavailable, means the store could not tell,
// and the Manager fails the request rather than start an empty session that
// would overwrite the client's data.
//
// Save persists s and returns the token to send to the client. It is called
// only for sessions that changed or are due a refresh. When s.PreviousID is
// set, a server store also deletes the record under that ID. A session that
// cannot be stored returns an error, ErrTooLarge when it does not fit a
// cookie; the client then keeps its old token.
//
// Delete removes whatever the store keeps for s, under its ID and under
// s.PreviousID. A store that keeps nothing returns nil.
//
// Every method takes the request's context and must honour its cancellation
// and deadline. Implementations must be safe for concurrent use.
type Store interface {
	Load(ctx context.Context, token string) (*Session, error)
	Save(ctx context.Context, s *Session) (token string, err error)
	Delete(ctx context.Context, s *Session) error
}

// CookieNamer is implemented by stores that bind the cookie's name into
// every token, so that a token cannot be moved to another cookie. NewManager
// uses the store's name when Options.Cookie.Name is empty, and refuses a
// different one.
type CookieNamer interface {
	CookieName() string
}

// Settings are the Manager's settings that a store may need: NewManager
// hands them to a store that implements Configurer, so that the store never
// keeps a copy of its own that could disagree.
type Settings struct {
	// CookieName is the name of the session cookie, which a store binds
	// into every token it issues, cookie or bearer.
	CookieName string

	// Lifetime is the Manager's Options.Lifetime: no session lives longer
	// from its creation or login, so records that must outlive every
	// session they concern (revocation stamps) are kept this long.
	Lifetime time.Duration
}

// Configurer is implemented by stores that take settings from the Manager.
// NewManager calls Configure once, before it returns. A store that several
// Managers share is configured by each of them: it refuses settings it
// cannot serve alongside those it already has (a second cookie name) and
// keeps the longest Lifetime.
type Configurer interface {
	Configure(Settings) error
}
