//go:build !linux

package redistest

import "syscall"

// sysProcAttr returns nil: only Linux can tie redis-server's life to the
// test binary's, so elsewhere a crashed test binary leaves it running.
func sysProcAttr() *syscall.SysProcAttr { return nil }
