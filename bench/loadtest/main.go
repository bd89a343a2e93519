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
	flag.IntVar(&cfg.Users, "users", 16, "concurrent users, each with a session of its own")
	flag.DurationVar(&cfg.Duration, "duration", 20*time.Second, "how long the load runs")
	flag.Float64Var(&cfg.Writes, "writes", 0.25, "fraction of requests that change the cart; the others read it")
	flag.StringVar(&cfg.Store, "store", "hybrid", "store under the Manager: hybrid, or server (serverstore alone)")
	flag.StringVar(&cfg.Backend, "backend", "mongo", "the server store's database, started on loopback: "+strings.Join(backends.Names, ", "))
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	rep.Print(os.Stdout)
	if !rep.OK() {
		os.Exit(1)
	}
}
