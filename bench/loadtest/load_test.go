package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sessionseal/session/bench/internal/backends"
)

// TestLoad runs a short load through the hybrid store over each backend,
// and through the server store alone over devmongo: every request
// succeeds, every cart reads back as acknowledged, and the report has its
// numbers. Redis and PostgreSQL are skipped when their programs are not
// installed, unless CI is set.
func TestLoad(t *testing.T) {
	type run struct{ backend, store string }
	runs := []run{{"mongo", "server"}}
	for _, b := range backends.Names {
		runs = append(runs, run{b, "hybrid"})
	}
	for _, r := range runs {
		t.Run(r.backend+"/"+r.store, func(t *testing.T) {
			rep, err := Run(context.Background(), Config{Users: 4, Duration: 2 * time.Second, Writes: 0.5, Store: r.store, Backend: r.backend})
			if backends.NotInstalled(err) && os.Getenv("CI") == "" {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			rep.Print(&b)
			t.Log("\n" + b.String())
			if !rep.OK() {
				t.Errorf("%d failed requests, %d carts mismatched", rep.Failed, rep.Mismatched)
			}
			if rep.Reads == 0 || rep.Changes == 0 {
				t.Errorf("%d reads and %d changes, want some of each", rep.Reads, rep.Changes)
			}
			if rep.All.P50 <= 0 || rep.All.P99 < rep.All.P50 || rep.Read.P50 <= 0 || rep.Change.P50 <= 0 {
				t.Errorf("latencies %+v, %+v, %+v: want positive, p99 at least p50", rep.All, rep.Read, rep.Change)
			}
			load, _ := Kind{Requests: rep.Reads + rep.Changes, RoundTrips: rep.RoundTrips}.PerRequest()
			read, _ := rep.Sequential[0].PerRequest()
			change, _ := rep.Sequential[1].PerRequest()
			touch, _ := rep.Sequential[2].PerRequest()
			if r.backend == "memory" {
				if load != 0 || read != 0 || change != 0 || touch != 0 {
					t.Errorf("memory made round trips: %v under load, %v one at a time", rep.RoundTrips, rep.Sequential)
				}
				return
			}
			// Every request loads its session from the database; a change,
			// and an unchanged session past the touch interval, also write it.
			if load < 1 || read < 1 || change < read+1 || touch < read+1 {
				t.Errorf("round trips per request: %.2f under load, %.2f read, %.2f change, %.2f unchanged past touch;"+
					" want at least 1 for a load, 1 more for a write", load, read, change, touch)
			}
		})
	}
}

func TestConfigRefused(t *testing.T) {
	for _, cfg := range []Config{
		{Users: 0, Duration: time.Second, Store: "hybrid"},
		{Users: 1, Duration: 0, Store: "hybrid"},
		{Users: 1, Duration: time.Second, Writes: 1.5, Store: "hybrid"},
		{Users: 1, Duration: time.Second, Store: "cookie"},
		{Users: 1, Duration: time.Second, Store: "hybrid", Backend: "mongodb"},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", cfg)
		}
	}
}
