package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/sessionseal/session/bench/internal/backends"
)

func main() {
	cfg := Config{}
	flag.StringVar(&cfg.Backend, "backend", "mongo", "the store's database: "+strings.Join(backends.Names, ", "))
	flag.IntVar(&cfg.Users, "users", 30, "simulated users")
	flag.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long the load runs")
	flag.DurationVar(&cfg.Outage, "outage", 2*time.Second, "how long each database outage lasts (none for memory)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultload:", err)
		os.Exit(1)
	}
	rep.Print(os.Stdout)
	if !rep.OK() {
		os.Exit(1)
	}
}
