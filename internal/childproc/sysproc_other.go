//go:build !linux

package childproc

import "syscall"

// SysProcAttr returns nil: only Linux can tie a server's life to the test
// binary's, so elsewhere a crashed test binary leaves it running.
func SysProcAttr() *syscall.SysProcAttr { return nil }
