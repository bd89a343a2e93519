package main

import (
	"os"
	"os/exec"
	"testing"
)

// TestLockBuildsEverywhere type-checks the command for systems on each side
// of the build constraints of lock_unix.go and lock_other.go: syscall.Flock
// exists on most Unix systems but not on AIX or Solaris (it does on
// illumos), and exactly one of the files must define lockRing.
func TestLockBuildsEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the package for several systems")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	for _, target := range []struct{ goos, goarch string }{
		{"aix", "ppc64"},
		{"solaris", "amd64"},
		{"illumos", "amd64"},
		{"linux", "amd64"},
		{"darwin", "arm64"},
		{"freebsd", "amd64"},
		{"windows", "amd64"},
	} {
		t.Run(target.goos, func(t *testing.T) {
			cmd := exec.Command(goTool, "vet", ".")
			cmd.Env = append(os.Environ(), "GOOS="+target.goos, "GOARCH="+target.goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s GOARCH=%s go vet: %v\n%s", target.goos, target.goarch, err, out)
			}
		})
	}
}
