// Package memstore is a serverstore.Backend that keeps sessions in the
// memory of the process: for tests, development, and single-process
// servers that accept losing every session on restart.
//
//	store, err := serverstore.New(keys, memstore.New(memstore.Options{}), serverstore.Options{})
//	if err != nil { ... }
//	defer store.Close()
//	m, err := session.NewManager(store, session.Options{})
//
// The backend is bounded (Options.MaxRecords) and has no goroutine of its
// own: expired records stay until the store's cleanup loop, which runs
// every serverstore.Options.CleanupInterval since the backend does not
// expire records by itself, deletes them, or until a full backend evicts
// them. Until then the Manager refuses their sessions by their deadlines.
//
// Records live only as long as the process: use a database backend
// (package mongostore) for a fleet of servers, which must share sessions,
// and for sessions that must survive a restart.
package memstore
