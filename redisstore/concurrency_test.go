package redisstore_test

import (
	"testing"

	"github.com/sessionseal/session/redisstore/internal/redistest"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

// TestShared runs the checks of servers that share nothing but Redis, on a
// single server and on a cluster: each backend has a go-redis client of its
// own.
func TestShared(t *testing.T) {
	redistest.Each(t, func(t *testing.T, tp *redistest.Topology) {
		prefix := tp.Prefix(t)
		storetest.RunShared(t, func(t *testing.T) serverstore.Backend {
			return backendAt(t, tp.NewClient(t), prefix)
		})
	})
}
