package pgtest

import (
	"errors"
	"os"
	"testing"
)

// TestStopRestart: a stopped server refuses connections; restarted, it
// answers at the same URL with the data it had.
func TestStopRestart(t *testing.T) {
	p, conn := StartServer(t)
	bins := p.p.bins
	if _, err := bins.run(t.Context(), conn, "CREATE TABLE t (n int); INSERT INTO t VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(); err == nil {
		t.Error("Restart of a running server succeeded, want an error")
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := bins.run(t.Context(), conn, "SELECT 1"); err == nil {
		t.Error("the stopped server answered")
	}
	if err := p.Stop(); err == nil {
		t.Error("Stop of a stopped server succeeded, want an error")
	}
	if err := p.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if got, err := bins.run(t.Context(), conn, "SELECT n FROM t"); got != "7" || err != nil {
		t.Errorf("after Restart: %q, %v; want the 7 written before Stop", got, err)
	}
}

// TestCloseStopped: closing a server that Stop stopped removes its
// directory and reports no error.
func TestCloseStopped(t *testing.T) {
	p, _, err := StartProcess()
	switch {
	case errors.Is(err, ErrNoBinaries):
		unavailable(t, err)
	case err != nil:
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		p.Close()
		t.Fatalf("Stop: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close after Stop: %v, want nil", err)
	}
	if _, err := os.Stat(p.p.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data directory after Close: %v, want it gone", err)
	}
}
