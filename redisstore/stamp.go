package redisstore

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session/serverstore"
)

// A revocation stamp is a hash under its stamp key, each time in Unix
// milliseconds: nb (NotBefore), x (ExpiresAt, also the key's PEXPIREAT) and
// one field "e:" + handle per ended session. Every write keeps the later of
// the stored and the given time, in one script.

const endedField = "e:"

// stamp decodes the fields of a stamp's hash.
func stamp(h map[string]string) (*serverstore.Stamp, error) {
	st := &serverstore.Stamp{}
	var err error
	for f, v := range h {
		switch {
		case f == "nb":
			st.NotBefore, err = parseMillis(v)
		case f == "x":
			st.ExpiresAt, err = parseMillis(v)
		case strings.HasPrefix(f, endedField):
			var t time.Time
			t, err = parseMillis(v)
			if st.Ended == nil {
				st.Ended = map[string]time.Time{}
			}
			st.Ended[f[len(endedField):]] = t
		}
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

// GetStamp reads the stamp under key: one HGETALL.
func (b *backend) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	h, err := b.client.HGetAll(ctx, b.stampKey(key)).Result()
	switch {
	case err != nil:
		return nil, fail(err)
	case len(h) == 0:
		return nil, serverstore.ErrNotFound
	}
	return stamp(h)
}

// raiseScript sets each given field to the later of its stored time and
// the given one, expires the key at its x, publishes the stamp's key on the
// stamps channel (see WatchStamps), and returns the whole hash. PUBLISH
// names no key, so it runs in a cluster too, where it reaches every node.
// It is a pcall: a user whose ACL grants no channel (the default for users
// made in Redis 7) still raises the stamp, which is then only not pushed.
//
// KEYS[1] the stamp key; ARGV: channel, message, field, time, field, time, ...
var raiseScript = redis.NewScript(`
local k = KEYS[1]
for j = 3, #ARGV, 2 do
	local cur = redis.call('HGET', k, ARGV[j])
	if not cur or tonumber(ARGV[j + 1]) > tonumber(cur) then redis.call('HSET', k, ARGV[j], ARGV[j + 1]) end
end
local x = redis.call('HGET', k, 'x')
if x then redis.call('PEXPIREAT', k, x) end
redis.pcall('PUBLISH', ARGV[1], ARGV[2])
return redis.call('HGETALL', k)
`)

// RaiseStamp moves the stamp's times forward: one script.
func (b *backend) RaiseStamp(ctx context.Context, key []byte, raise *serverstore.Stamp) (*serverstore.Stamp, error) {
	args := []any{b.stampsChannel(), key}
	for f, t := range map[string]time.Time{"nb": raise.NotBefore, "x": raise.ExpiresAt} {
		if !t.IsZero() {
			args = append(args, f, millis(t))
		}
	}
	for h, t := range raise.Ended {
		if !t.IsZero() {
			args = append(args, endedField+h, millis(t))
		}
	}
	res, err := raiseScript.Run(ctx, b.client, []string{b.stampKey(key)}, args...).StringSlice()
	if err != nil {
		return nil, fail(err)
	}
	h := make(map[string]string, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		h[res[i]] = res[i+1]
	}
	return stamp(h)
}

// DropEnded removes entries of the stamp: one HDEL.
func (b *backend) DropEnded(ctx context.Context, key []byte, handles []string) error {
	if len(handles) == 0 {
		return nil
	}
	fields := make([]string, len(handles))
	for i, h := range handles {
		fields[i] = endedField + h
	}
	if err := b.client.HDel(ctx, b.stampKey(key), fields...).Err(); err != nil {
		return fail(err)
	}
	return nil
}

// stampsChannel is the pub/sub channel on which RaiseStamp publishes the
// key of each stamp it raises.
func (b *backend) stampsChannel() string { return b.prefix + "stamps" }

// WatchStamps is the optional part of serverstore.Backend that pushes
// stamp changes: it subscribes to the stamps channel and calls changed with
// nil once subscribed, and with the key of every stamp that any process
// raises, until ctx ends or the connection fails. In a cluster the
// subscription is held by one node, and PUBLISH reaches every node. A
// subscription that go-redis makes again after a lost connection calls
// changed with nil again, since messages may have been lost meanwhile.
func (b *backend) WatchStamps(ctx context.Context, changed func(key []byte)) error {
	ps := b.client.Subscribe(ctx, b.stampsChannel())
	defer ps.Close()
	// Receive waits for a message whatever ctx says; closing the
	// subscription ends the wait.
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	defer stop()
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			return fail(err)
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				changed(nil)
			}
		case *redis.Message:
			changed([]byte(m.Payload))
		}
	}
}
