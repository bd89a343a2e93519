package redisstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session/serverstore"
)

// A user's index is a sorted set under the user key: members are the hex
// keys of the user's records, scores the time (Unix milliseconds) until
// which each record may live. Members are added before their records and
// only raised, and they leave only indexGrace after their score has passed,
// by then their records have expired: so every live record of a user is
// listed (see the package documentation for why no other removal is safe).

// indexGrace is how long a member outlives its score, and the index its
// last member, so that a cluster node whose clock runs ahead of the node of
// a record by less than that never drops a member before the record
// expires.
const indexGrace = time.Minute

// indexScript lists a member in a user's index until a time, keeping the
// later of that and its score; drops the members whose time passed
// indexGrace ago on the server's clock; and expires the index indexGrace
// after its last member.
//
// KEYS[1] the user key; ARGV: member, until (Unix ms), indexGrace in ms.
var indexScript = redis.NewScript(`
local k, grace = KEYS[1], tonumber(ARGV[3])
redis.call('ZADD', k, 'GT', ARGV[2], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', k, '-inf', string.format('%.0f', now - grace))
local last = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', k, string.format('%.0f', tonumber(last[2]) + grace)) end
return 1
`)

// index lists the record under key in user's index until until.
func (b *backend) index(ctx context.Context, user, key []byte, until string) error {
	err := indexScript.Run(ctx, b.client, []string{b.userKey(user)}, hex.EncodeToString(key), until,
		strconv.FormatInt(indexGrace.Milliseconds(), 10)).Err()
	if err != nil {
		return fail(err)
	}
	return nil
}

// members returns the keys listed in user's index: one ZRANGE.
func (b *backend) members(ctx context.Context, user []byte) ([][]byte, error) {
	names, err := b.client.ZRange(ctx, b.userKey(user), 0, -1).Result()
	if err != nil {
		return nil, fail(err)
	}
	keys := make([][]byte, 0, len(names))
	for _, n := range names {
		if k, err := hex.DecodeString(n); err == nil && len(k) > 0 {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// batch is how many commands one pipeline carries.
const batch = 256

// ListUser reads the records the user's index lists, in one pipeline of
// HGETALLs after the ZRANGE, and returns those that exist and still belong
// to the user: a listed record may be gone, or have moved to another user.
func (b *backend) ListUser(ctx context.Context, user []byte) ([]serverstore.Document, error) {
	keys, err := b.members(ctx, user)
	if err != nil {
		return nil, err
	}
	var docs []serverstore.Document
	for chunk := range slices.Chunk(keys, batch) {
		found, err := b.read(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, doc := range found {
			if bytes.Equal(doc.User, user) {
				docs = append(docs, *doc)
			}
		}
	}
	return docs, nil
}

// read reads the records under keys in one pipeline and returns those that
// exist.
func (b *backend) read(ctx context.Context, keys [][]byte) ([]*serverstore.Document, error) {
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, b.sessionKey(k))
		}
		return nil
	})
	if err != nil {
		return nil, fail(err)
	}
	docs := make([]*serverstore.Document, 0, len(keys))
	for i, cmd := range cmds {
		if len(cmd.Val()) == 0 {
			continue
		}
		doc, err := document(keys[i], cmd.Val())
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// deleteUserScript deletes a record if it belongs to the user.
// KEYS[1] the session key; ARGV[1] the user.
var deleteUserScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// DeleteUser deletes the records the user's index lists that belong to
// the user, each with a script on its own key, in one pipeline after the
// ZRANGE. The index stays: its members leave as their scores pass.
func (b *backend) DeleteUser(ctx context.Context, user []byte) (int64, error) {
	keys, err := b.members(ctx, user)
	if err != nil {
		return 0, err
	}
	var n int64
	for chunk := range slices.Chunk(keys, batch) {
		names := make([]string, len(chunk))
		for i, k := range chunk {
			names[i] = b.sessionKey(k)
		}
		deleted, err := b.evalEach(ctx, deleteUserScript, names, user)
		if err != nil {
			return n, err
		}
		n += deleted
	}
	return n, nil
}

// evalEach runs script on each key, with args, in one pipeline, and
// returns how many runs answered 1. A pipeline sends the script's source
// (EVAL): a cluster pipeline may reach nodes whose script cache lacks it.
func (b *backend) evalEach(ctx context.Context, script *redis.Script, keys []string, args ...any) (int64, error) {
	cmds := make([]*redis.Cmd, len(keys))
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = script.Eval(ctx, p, []string{k}, args...)
		}
		return nil
	})
	if err != nil {
		return 0, fail(err)
	}
	var n int64
	for _, cmd := range cmds {
		if v, err := cmd.Int64(); err != nil {
			return n, fail(err)
		} else if v == 1 {
			n++
		}
	}
	return n, nil
}
