// Package childproc holds what the test servers the tests start (devmongo,
// PostgreSQL, redis-server) have in common: their log, which an exec.Cmd
// writes while a failing test reads it, and the process attributes that
// tie a server's life to the test binary's.
package childproc
