package redisstore_test

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session/redisstore"
	"github.com/sessionseal/session/redisstore/internal/redistest"
	"github.com/sessionseal/session/serverstore"
)

func TestNewRefuses(t *testing.T) {
	timed := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer timed.Close()
	untimed := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer untimed.Close()
	untimedCluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer untimedCluster.Close()
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	for _, c := range []struct {
		name   string
		client redis.UniversalClient
		opts   redisstore.Options
		want   string
	}{
		{"nil client", nil, redisstore.Options{}, "nil client"},
		{"nil *redis.Client", (*redis.Client)(nil), redisstore.Options{}, "nil client"},
		{"client without context timeouts", untimed, redisstore.Options{}, "ContextTimeoutEnabled"},
		{"cluster client without context timeouts", untimedCluster, redisstore.Options{}, "ContextTimeoutEnabled"},
		{"ring", ring, redisstore.Options{}, "unsupported client"},
		{"prefix with a hash tag", timed, redisstore.Options{Prefix: "app{1}:"}, "brace"},
		{"prefix with an open brace", timed, redisstore.Options{Prefix: "app{"}, "brace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := redisstore.New(c.client, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Errorf("New: %v, %v; want an error about %q", b, err, c.want)
			}
		})
	}
}

// TestDefaultPrefix: without Options.Prefix, keys start with
// DefaultPrefix.
func TestDefaultPrefix(t *testing.T) {
	tp := redistest.Single(t)
	b, err := redisstore.New(tp.Client(t), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	name := redisstore.DefaultPrefix + "s:{" + hex.EncodeToString(key) + "}"
	t.Cleanup(func() { tp.Client(t).Del(ctx, name) })
	doc := &serverstore.Document{Key: key, Data: []byte{1}, Version: 1, ExpiresAt: time.Now().Add(time.Hour)}
	if err := b.Insert(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	if n, err := tp.Client(t).Exists(t.Context(), name).Result(); n != 1 || err != nil {
		t.Errorf("EXISTS %s: %d, %v; want the record there", name, n, err)
	}
}

// TestPrefixWithGlobCharacters: Scan and Count find the keys of a prefix
// that holds SCAN's glob characters, and only those.
func TestPrefixWithGlobCharacters(t *testing.T) {
	tp := redistest.Single(t)
	base := tp.Prefix(t)
	glob, err := redisstore.New(tp.Client(t), redisstore.Options{Prefix: base + `a*[?]\`})
	if err != nil {
		t.Fatal(err)
	}
	// Unescaped, the pattern of the first would match this prefix's keys.
	other, err := redisstore.New(tp.Client(t), redisstore.Options{Prefix: base + "az?"})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []serverstore.Backend{glob, other, other} {
		key := make([]byte, 32)
		rand.Read(key)
		if err := b.Insert(t.Context(), &serverstore.Document{Key: key, Data: []byte{1}, Version: 1,
			ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := glob.Count(t.Context()); n != 1 || err != nil {
		t.Errorf("Count under a prefix with glob characters: %d, %v; want 1", n, err)
	}
	if docs, err := glob.Scan(t.Context(), nil, 10); len(docs) != 1 || err != nil {
		t.Errorf("Scan under a prefix with glob characters: %d records, %v; want 1", len(docs), err)
	}
}
