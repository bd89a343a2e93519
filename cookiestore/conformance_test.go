package cookiestore_test

import (
	"testing"
	"time"

	"github.com/sessionseal/session/cookiestore"
	"github.com/sessionseal/session/internal/testkit"
	"github.com/sessionseal/session/keyrotation"
	"github.com/sessionseal/session/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *storetest.Harness {
		keys, err := keyrotation.Generate()
		if err != nil {
			t.Fatal(err)
		}
		clock := testkit.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
		store, err := cookiestore.New(keys)
		if err != nil {
			t.Fatal(err)
		}
		return &storetest.Harness{Store: store, Now: clock.Now, Advance: clock.Advance}
	})
}
