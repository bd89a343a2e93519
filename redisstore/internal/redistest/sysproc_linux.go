package redistest

import "syscall"

// sysProcAttr has the kernel kill redis-server when the test binary dies
// without Run's cleanup (a crash, a timeout panic, a SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
