// Package storetest holds conformance suites, in the manner of
// testing/fstest: Run for a session.Store, driven through a
// session.Manager as requests would drive it, and RunBackend for a
// serverstore.Backend, the database operations under a server store.
//
// A store's tests call Run with a function that builds a fresh store and
// the clock the suite gives the Manager (stores keep none):
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) *storetest.Harness {
//			clock := testkit.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
//			store, err := cookiestore.New(keys)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return &storetest.Harness{Store: store, Now: clock.Now, Advance: clock.Advance}
//		})
//	}
//
// Every store passes the round trip, missing and tampered tokens, tokens
// under another cookie name, expiry, renewal, destruction and concurrent
// saves; stores that keep server records also show that deleted and
// renewed records are gone, and stores that merge concurrent writes show
// that none is lost.
//
// A new database backend passes both suites against the real database:
//
//	func TestBackend(t *testing.T) {
//		storetest.RunBackend(t, func(t *testing.T) serverstore.Backend { return newEmptyBackend(t) })
//	}
//
// RunBackend checks point lookups, unique inserts, updates and deletes
// conditioned on the version, atomically under concurrency, listing and
// deleting by user, paging through every document, stamps that only move
// forward, and deletion of what expired.
package storetest
