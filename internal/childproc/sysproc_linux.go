package childproc

import "syscall"

// SysProcAttr has the kernel kill the server when the test binary dies
// without its cleanup (a crash, a timeout panic, a SIGKILL).
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
