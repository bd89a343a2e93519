package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestHarness runs a short load with one MongoDB outage and one key
// rotation: no acknowledged change may be lost, and every refused request
// must be a 503.
func TestHarness(t *testing.T) {
	rep, err := Run(context.Background(), Config{Users: 15, Duration: 8 * time.Second, Outage: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.Print(&b)
	t.Log("\n" + b.String())
	if rep.Lost != 0 {
		t.Errorf("%d acknowledged changes lost, want 0", rep.Lost)
	}
	if rep.ByClass["other 5xx"] != 0 || rep.ByClass["4xx"] != 0 || rep.AttackBad != 0 {
		t.Errorf("unclean failures: %v, %d attacks not answered 200", rep.ByClass, rep.AttackBad)
	}
	if rep.Checked != 15 || rep.Outages == 0 || rep.Rotations == 0 || rep.ByClass["200"] == 0 {
		t.Errorf("the run did not exercise what it should: %d carts checked, %d outages, %d rotations, %d OK requests",
			rep.Checked, rep.Outages, rep.Rotations, rep.ByClass["200"])
	}
}
