package pgtest

import (
	"errors"
	"testing"
)

// StartServer starts a server of the test's own, as Run's is started, and
// returns it with the URL of its database postgres; it is closed when the
// test ends. Unlike the shared server, the test may stop it and start it
// again (Process.Stop, Process.Restart) to see what an outage does. It is
// started even when DATABASE_URL is set, which names a server no test may
// stop: without PostgreSQL's programs the test is skipped, or fails when
// CI is set.
func StartServer(t testing.TB) (*Process, string) {
	t.Helper()
	p, url, err := StartProcess()
	switch {
	case errors.Is(err, ErrNoBinaries):
		unavailable(t, err)
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p, url
}

// Stop stops the server as an outage would: a fast shutdown ends the open
// connections, and new ones are refused until Restart. The data stays.
func (p *Process) Stop() error {
	select {
	case <-p.p.exited:
		return errors.New("pgtest: postgres is not running")
	default:
	}
	err := p.p.stop()
	p.p.stopped = true
	return err
}

// Restart starts a server that Stop stopped, on the same port and with
// the same data, and waits until it answers, so that clients of the old
// one reconnect to it.
func (p *Process) Restart() error {
	if !p.p.stopped {
		return errors.New("pgtest: postgres was not stopped")
	}
	if err := p.p.run(); err != nil {
		return err
	}
	p.p.stopped = false
	return nil
}
