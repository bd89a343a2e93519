package childproc

import (
	"os/exec"
	"syscall"
	"time"
)

// Stop ends the server that cmd runs, whose waiter closes exited once
// cmd.Wait has returned: with SIGTERM and, when it has not exited grace
// later, SIGKILL; with SIGKILL at once when grace is 0. It returns once
// the server has exited, and reports whether it was killed after SIGTERM
// went unheeded, or why SIGTERM could not be sent.
func Stop(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) (killedLate bool, err error) {
	if grace == 0 {
		cmd.Process.Kill()
		<-exited
		return false, nil
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return false, err
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-exited:
		return false, nil
	case <-timer.C:
		cmd.Process.Kill()
		<-exited
		return true, nil
	}
}
