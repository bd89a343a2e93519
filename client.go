package session

import (
	"context"
	"net"
	"net/http"
)

// ClientInfo describes the client of the request that saves a session, for
// stores that record where sessions are used, such as a "your active
// sessions" page.
type ClientInfo struct {
	UserAgent string // the User-Agent header
	IP        string // the host part of the request's RemoteAddr: a proxy's address behind one
}

type clientInfoKey struct{}

// ClientInfoFrom returns the ClientInfo that the Manager puts in the context
// it passes to Store.Save.
func ClientInfoFrom(ctx context.Context) (ClientInfo, bool) {
	c, ok := ctx.Value(clientInfoKey{}).(ClientInfo)
	return c, ok
}

func withClientInfo(ctx context.Context, r *http.Request) context.Context {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return context.WithValue(ctx, clientInfoKey{}, ClientInfo{UserAgent: r.UserAgent(), IP: ip})
}
