//go:build !linux

package pgtest

import "syscall"

// canSwitchUser is false: outside Linux, pgtest does not run the server
// as another account, and a test binary run as root fails with
// instructions.
const canSwitchUser = false

// sysProcAttr returns nil: only Linux can tie the server's life to the
// test binary's, so elsewhere a crashed test binary leaves it running.
func sysProcAttr(*account) *syscall.SysProcAttr { return nil }
