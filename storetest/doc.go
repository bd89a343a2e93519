// Package storetest is a conformance suite for session.Store
// implementations, in the manner of testing/fstest: a store's tests call
// Run with a function that builds a fresh store, and the suite checks the
// contract of session.Store against it.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) *storetest.Harness {
//			clock := ...
//			store, err := mystore.New(..., mystore.Options{Now: clock.Now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return &storetest.Harness{Store: store, Now: clock.Now, Advance: clock.Advance}
//		})
//	}
//
// Every store passes the round trip, missing and tampered tokens, expiry,
// renewal, destruction and concurrent saves; stores that keep server
// records also show that deleted and renewed records are gone, and stores
// that merge concurrent writes show that none is lost.
package storetest
