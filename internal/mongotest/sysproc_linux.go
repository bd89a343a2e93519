package mongotest

import "syscall"

// sysProcAttr has the kernel kill devmongo when the test binary dies
// without Run's cleanup (a crash, a timeout panic, a SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
