package pgtest

import "syscall"

// canSwitchUser reports whether sysProcAttr can run the server as another
// account.
const canSwitchUser = true

// sysProcAttr runs a program as owner (nil: the current user) and has the
// kernel kill it when the test binary dies without Run's cleanup (a crash,
// a timeout panic, a SIGKILL). The kernel clears the parent-death signal
// when a process changes its user; Go sets it after the switch, so it
// holds.
func sysProcAttr(owner *account) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if owner != nil {
		// No supplementary groups: root's would follow the server.
		a.Credential = &syscall.Credential{Uid: owner.uid, Gid: owner.gid}
	}
	return a
}
