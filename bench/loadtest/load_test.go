package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLoad runs a short load through each store: every request succeeds,
// every cart reads back as acknowledged, and the report has its numbers.
func TestLoad(t *testing.T) {
	for _, store := range []string{"hybrid", "server"} {
		t.Run(store, func(t *testing.T) {
			rep, err := Run(context.Background(), Config{Users: 4, Duration: 2 * time.Second, Writes: 0.5, Store: store})
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
			// Every request loads its session from the database.
			if rep.Commands["find"] < rep.Reads+rep.Changes || rep.Commands["update"] < rep.Changes {
				t.Errorf("commands %v for %d reads and %d changes: want a find for each request, an update for each change",
					rep.Commands, rep.Reads, rep.Changes)
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
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded, want an error", cfg)
		}
	}
}
