package redistest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sessionseal/session/internal/childproc"
)

const (
	// readyTimeout bounds the wait for a started server to answer PING.
	readyTimeout = 10 * time.Second

	// stopTimeout bounds a clean shutdown after SIGTERM.
	stopTimeout = 10 * time.Second

	// portAttempts bounds the tries at a free port: another process may
	// take the one found before the server binds it.
	portAttempts = 5
)

// process is a redis-server child process and what it takes to restart it
// on the same port and directory.
type process struct {
	port int
	args []string
	logs *childproc.Log

	mu      sync.Mutex
	cur     *run
	stopped bool
}

// run is one execution of redis-server.
type run struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd.Wait has returned
	err    error         // cmd.Wait's result, set before exited is closed
}

// startProcess starts redis-server on a free loopback port whose cluster
// bus port (10000 above it) is free too, with its files in dir and extra
// configuration, and waits until it answers.
func startProcess(dir string, extra ...string) (*process, error) {
	var err error
	for range portAttempts {
		port := freePort()
		p := &process{port: port, logs: childproc.NewLog("redis-server"), args: append([]string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--daemonize", "no", "--logfile", "", "--loglevel", "warning",
		}, extra...)}
		if err = p.start(); err == nil {
			return p, nil
		}
	}
	return nil, err
}

// freePort returns a loopback port that, and the port 10000 above it, could
// be listened on a moment ago.
func freePort() int {
	for {
		port := 20000 + rand.IntN(35000)
		a, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return port
	}
}

func (p *process) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// start runs redis-server and waits until it answers PING.
func (p *process) start() error {
	cmd := exec.Command("redis-server", p.args...)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = childproc.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %v", err)
	}
	r := &run{cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-r.exited:
			return fmt.Errorf("redis-server on %s exited at start: %v\n%s", p.addr(), r.err, p.logs)
		default:
		}
		if ping(p.addr()) == nil {
			p.mu.Lock()
			p.cur, p.stopped = r, false
			p.mu.Unlock()
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-r.exited
			return fmt.Errorf("redis-server on %s did not answer within %v\n%s", p.addr(), readyTimeout, p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends PING to addr and checks for PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// restart starts the server again on its port and directory.
func (p *process) restart() error {
	if !p.isStopped() {
		return errors.New("restart of a running redis-server")
	}
	return p.start()
}

// stop ends the current run with SIGTERM, or SIGKILL when it has not
// exited stopTimeout later.
func (p *process) stop() error { return p.end(stopTimeout) }

// kill ends the current run with SIGKILL, as a crash would.
func (p *process) kill() error { return p.end(0) }

func (p *process) end(grace time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	p.stopped = true
	r := p.cur
	select {
	case <-r.exited:
		return fmt.Errorf("redis-server on %s had already exited: %v\n%s", p.addr(), r.err, p.logs)
	default:
	}
	killed, err := childproc.Stop(r.cmd, r.exited, grace)
	switch {
	case err != nil:
		return fmt.Errorf("stopping redis-server: %v", err)
	case killed:
		return fmt.Errorf("redis-server on %s was still running %v after SIGTERM; killed it\n%s", p.addr(), grace, p.logs)
	}
	return nil
}

// signal sends sig to the running server.
func (p *process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return errors.New("signal to a stopped redis-server")
	}
	return p.cur.cmd.Process.Signal(sig)
}

func (p *process) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// crashed reports a run that ended without stop or kill.
func (p *process) crashed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	select {
	case <-p.cur.exited:
		return fmt.Errorf("redis-server on %s exited unexpectedly: %v\n%s", p.addr(), p.cur.err, p.logs)
	default:
		return nil
	}
}

// createCluster makes the processes one cluster with the slots split
// among them, and waits until every node reports it ready.
func createCluster(ctx context.Context, procs []*process) error {
	args := []string{"--cluster", "create"}
	for _, p := range procs {
		args = append(args, p.addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, p := range procs {
		for {
			info, err := exec.CommandContext(ctx, "redis-cli", "-p", strconv.Itoa(p.port), "cluster", "info").Output()
			if err == nil && bytes.Contains(info, []byte("cluster_state:ok")) && bytes.Contains(info, []byte("cluster_slots_ok:16384")) &&
				bytes.Contains(info, []byte("cluster_known_nodes:"+strconv.Itoa(len(procs)))) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("cluster node %s not ready: %v\n%s", p.addr(), ctx.Err(), info)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}
