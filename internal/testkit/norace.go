//go:build !race

package testkit

// Race reports whether the race detector is on. It makes sync.Pool drop
// items at random, so tests that count allocations skip under it.
const Race = false
