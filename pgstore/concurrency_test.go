package pgstore_test

import (
	"testing"

	"github.com/sessionseal/session/internal/pgtest"
	"github.com/sessionseal/session/pgstore"
	"github.com/sessionseal/session/serverstore"
	"github.com/sessionseal/session/storetest"
)

// TestShared runs the checks of servers that share nothing but the
// database: each backend has a pool of its own.
func TestShared(t *testing.T) {
	url := pgtest.URL(t)
	storetest.RunShared(t, func(t *testing.T) serverstore.Backend {
		return backendOn(t, newPool(t, url, nil), pgstore.Options{})
	})
}
