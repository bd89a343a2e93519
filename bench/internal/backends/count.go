package backends

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Counter counts database round trips by command name. It is safe for
// concurrent use.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int64
}

// NewCounter returns a counter at zero.
func NewCounter() *Counter { return &Counter{counts: map[string]int64{}} }

func (c *Counter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[name]++
}

// Counts returns a copy of the counts so far, by command name.
func (c *Counter) Counts() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		m[k] = v
	}
	return m
}

// Total returns the number of round trips so far.
func (c *Counter) Total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Since returns the counts of now less those of before, leaving out
// commands that did not occur in between.
func Since(before, now map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range now {
		if v -= before[k]; v != 0 {
			d[k] = v
		}
	}
	return d
}

// Mongo connects a client to uri that counts each command it sends, by
// command name. Its server selection timeout is one second, so that a
// request during an outage fails fast.
func Mongo(uri string, c *Counter) (*mongo.Client, error) {
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) { c.add(e.CommandName) }}
	return mongo.Connect(options.Client().ApplyURI(uri).SetMonitor(monitor).SetServerSelectionTimeout(time.Second))
}

// Redis returns a client of the server at addr that counts each command it
// sends, by name, and each pipeline as one round trip named "pipeline".
// The client honours its callers' deadlines.
func Redis(addr string, c *Counter) *redis.Client {
	// go-redis logs each failed dial; every outage makes many.
	redis.SetLogger(discardLog{})
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	client.AddHook(redisHook{c})
	return client
}

// redisHook counts a Redis client's round trips.
type redisHook struct{ c *Counter }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.c.add(cmd.Name())
		return next(ctx, cmd)
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.c.add("pipeline")
		return next(ctx, cmds)
	}
}

// discardLog is a go-redis logger that logs nothing.
type discardLog struct{}

func (discardLog) Printf(context.Context, string, ...any) {}

// Postgres opens a pool on url whose connections count each query they
// send, by its first SQL word in lower case; each statement they prepare
// (once per connection and statement: pgx caches them), as "prepare"; and
// each liveness ping the pool sends before it hands out a connection idle
// for over a second (as pgxpool does by default), as "ping".
func Postgres(ctx context.Context, url string, c *Counter) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.Tracer = pgTracer{c}
	cfg.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool {
		if p.IdleDuration > time.Second {
			c.add("ping")
			return true
		}
		return false
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// pgTracer counts a pgx connection's queries.
type pgTracer struct{ c *Counter }

func (t pgTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	word, _, _ := strings.Cut(strings.TrimSpace(data.SQL), " ")
	t.c.add(strings.ToLower(word))
	return ctx
}

func (pgTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (pgTracer) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	return ctx
}

func (t pgTracer) TracePrepareEnd(_ context.Context, _ *pgx.Conn, data pgx.TracePrepareEndData) {
	if !data.AlreadyPrepared {
		t.c.add("prepare")
	}
}

var (
	_ pgx.QueryTracer   = pgTracer{}
	_ pgx.PrepareTracer = pgTracer{}
	_ redis.Hook        = redisHook{}
)
