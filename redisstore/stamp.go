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
// the given one, expires the key at its x, and returns the whole hash.
//
// KEYS[1] the stamp key; ARGV: field, time, field, time, ...
var raiseScript = redis.NewScript(`
local k = KEYS[1]
for j = 1, #ARGV, 2 do
	local cur = redis.call('HGET', k, ARGV[j])
	if not cur or tonumber(ARGV[j + 1]) > tonumber(cur) then redis.call('HSET', k, ARGV[j], ARGV[j + 1]) end
end
local x = redis.call('HGET', k, 'x')
if x then redis.call('PEXPIREAT', k, x) end
return redis.call('HGETALL', k)
`)

// RaiseStamp moves the stamp's times forward: one script.
func (b *backend) RaiseStamp(ctx context.Context, key []byte, raise *serverstore.Stamp) (*serverstore.Stamp, error) {
	var args []any
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
