package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sessionseal/session/serverstore"
)

// A session record is a hash under its session key, with these fields:
//
//	d   data
//	v   version, in decimal; compared as a string in scripts, since a Lua
//	    number cannot hold every int64
//	x   ExpiresAt, Unix milliseconds; also the key's PEXPIREAT
//	m   Updated
//	c   Created
//	f   From
//	u   user, the 32 bytes; absent without one
//	a   user agent
//	i   IP
//	ix  with u: the time up to which the user's index is known to list the
//	    record; the key never lives past it
//
// Absent fields are zero values.

// document decodes the fields of a record's hash.
func document(key []byte, h map[string]string) (*serverstore.Document, error) {
	version, err := strconv.ParseInt(h["v"], 10, 64)
	if err != nil || h["d"] == "" {
		return nil, errors.New("redisstore: malformed session record")
	}
	doc := &serverstore.Document{Key: bytes.Clone(key), Data: []byte(h["d"]), Version: version,
		UserAgent: h["a"], IP: h["i"]}
	if u := h["u"]; u != "" {
		doc.User = []byte(u)
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"x", &doc.ExpiresAt}, {"m", &doc.Updated}, {"c", &doc.Created}, {"f", &doc.From}} {
		if *f.t, err = parseMillis(h[f.name]); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// Get reads the record under key: one HGETALL.
func (b *backend) Get(ctx context.Context, key []byte) (*serverstore.Document, error) {
	h, err := b.client.HGetAll(ctx, b.sessionKey(key)).Result()
	switch {
	case err != nil:
		return nil, fail(err)
	case len(h) == 0:
		return nil, serverstore.ErrNotFound
	}
	return document(key, h)
}

// insertScript creates a record unless its key exists, and sets the key's
// expiry. A record already there with the same version and data is this
// insert's own, applied by an attempt whose answer was lost (the client
// retries such commands): it reports success again.
//
// KEYS[1] the session key; ARGV: version, data, x, u, c, m, f, a, i, ix
// ("" leaves a field out).
var insertScript = redis.NewScript(`
local k = KEYS[1]
if redis.call('EXISTS', k) == 1 then
	local cur = redis.call('HMGET', k, 'v', 'd')
	if cur[1] == ARGV[1] and cur[2] == ARGV[2] then return 1 end
	return 0
end
local set = {'v', ARGV[1], 'd', ARGV[2]}
local names = {'x', 'u', 'c', 'm', 'f', 'a', 'i', 'ix'}
for j = 3, 10 do
	if ARGV[j] ~= '' then
		set[#set + 1] = names[j - 2]
		set[#set + 1] = ARGV[j]
	end
end
redis.call('HSET', k, unpack(set))
redis.call('PEXPIREAT', k, ARGV[3])
return 1
`)

// Insert creates the record of doc. A record of a user is listed in the
// user's index first, so that no moment has the record live and unlisted:
// two round trips, one without a user.
func (b *backend) Insert(ctx context.Context, doc *serverstore.Document) error {
	if doc.ExpiresAt.IsZero() {
		return errors.New("redisstore: a session record needs an expiry")
	}
	var until string
	if len(doc.User) > 0 {
		until = millis(doc.ExpiresAt)
		if err := b.index(ctx, doc.User, doc.Key, until); err != nil {
			return err
		}
	}
	n, err := insertScript.Run(ctx, b.client, []string{b.sessionKey(doc.Key)},
		strconv.FormatInt(doc.Version, 10), doc.Data, millis(doc.ExpiresAt), doc.User,
		millis(doc.Created), millis(doc.Updated), millis(doc.From), doc.UserAgent, doc.IP, until).Int()
	switch {
	case err != nil:
		return fail(err)
	case n == 0:
		return serverstore.ErrExists
	}
	return nil
}

// updateScript writes a record at the expected version, as
// serverstore.Backend.Update says, and moves the key's expiry with
// ExpiresAt. It answers {1} when it wrote, {0} when the version did not
// match or the record is gone, and {2, user, x} when it would have kept the
// record of user until x without knowing that the user's index lists it
// that long: it then writes nothing, and the caller raises the index and
// runs it again. As with inserts, a record already at the new version with
// the new data is this update's own, from an attempt whose answer was lost.
//
// KEYS[1] the session key; ARGV: expected version, new version, data, x,
// m, "1" when the user changed, u, a, i, the user whose index is known to
// list the record, and until when ("" for none).
var updateScript = redis.NewScript(`
local k = KEYS[1]
local cur = redis.call('HMGET', k, 'v', 'd', 'x', 'm', 'u', 'ix')
if not cur[1] then return {0} end
if cur[1] ~= ARGV[1] then
	if cur[1] == ARGV[2] and cur[2] == ARGV[3] then return {1} end
	return {0}
end
local function later(a, b)
	if b == '' then return a end
	if not a or tonumber(b) > tonumber(a) then return b end
	return a
end
local x, m = later(cur[3], ARGV[4]), later(cur[4], ARGV[5])
if not x then return redis.error_reply('ERR record without expiry') end
local changed = ARGV[6] == '1'
local u = cur[5]
if changed then
	u = false
	if ARGV[7] ~= '' then u = ARGV[7] end
end
local ix = false
if u then
	if u == cur[5] and cur[6] and tonumber(x) <= tonumber(cur[6]) then ix = cur[6] end
	if u == ARGV[10] and ARGV[11] ~= '' and tonumber(x) <= tonumber(ARGV[11]) then ix = later(ix, ARGV[11]) end
	if not ix then return {2, u, x} end
end
local set, del = {'v', ARGV[2], 'd', ARGV[3], 'x', x}, {}
if m then
	set[#set + 1] = 'm'
	set[#set + 1] = m
end
if ix then
	set[#set + 1] = 'ix'
	set[#set + 1] = ix
else
	del[#del + 1] = 'ix'
end
if changed then
	for j, f in ipairs({'u', 'a', 'i'}) do
		if ARGV[6 + j] ~= '' then
			set[#set + 1] = f
			set[#set + 1] = ARGV[6 + j]
		else
			del[#del + 1] = f
		end
	end
end
redis.call('HSET', k, unpack(set))
if #del > 0 then redis.call('HDEL', k, unpack(del)) end
if x ~= cur[3] then redis.call('PEXPIREAT', k, x) end
return {1}
`)

// maxIndexRounds bounds the runs of updateScript in one Update. A second
// run is needed only when the record's stored user or expiry was not the
// one doc gave; it matches the version and writes, or finds that another
// write moved the version on.
const maxIndexRounds = 3

// Update writes doc into the record under doc.Key if its version is
// version. A record with a user is first listed in the user's index until
// doc.ExpiresAt, so that the record never outlives its listing; the script
// asks for another round when the stored user or expiry needs a longer one.
// Two round trips with a user, one without.
func (b *backend) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	var user []byte
	var until string
	if len(doc.User) > 0 && !doc.ExpiresAt.IsZero() {
		user, until = doc.User, millis(doc.ExpiresAt)
		if err := b.index(ctx, user, doc.Key, until); err != nil {
			return false, err
		}
	}
	changed := ""
	if doc.UserChanged {
		changed = "1"
	}
	keys := []string{b.sessionKey(doc.Key)}
	for range maxIndexRounds {
		res, err := updateScript.Run(ctx, b.client, keys, strconv.FormatInt(version, 10),
			strconv.FormatInt(doc.Version, 10), doc.Data, millis(doc.ExpiresAt), millis(doc.Updated),
			changed, doc.User, doc.UserAgent, doc.IP, user, until).Slice()
		if err != nil {
			return false, fail(err)
		}
		code, _ := res[0].(int64)
		if code != 2 || len(res) != 3 {
			return code == 1, nil
		}
		u, _ := res[1].(string)
		x, _ := res[2].(string)
		user, until = []byte(u), x
		if err := b.index(ctx, user, doc.Key, until); err != nil {
			return false, err
		}
	}
	return false, fmt.Errorf("redisstore: the user index of a session did not keep up after %d rounds", maxIndexRounds)
}

// deleteScript deletes a record at a version, or at any version for "0".
// KEYS[1] the session key; ARGV[1] the version.
var deleteScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v or (ARGV[1] ~= '0' and v ~= ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Delete deletes the record under key at version, or at any version when
// version is 0: one script. Its user's index keeps listing it until its
// expiry (see the package documentation).
func (b *backend) Delete(ctx context.Context, key []byte, version int64) (bool, error) {
	n, err := deleteScript.Run(ctx, b.client, []string{b.sessionKey(key)}, strconv.FormatInt(version, 10)).Int()
	if err != nil {
		return false, fail(err)
	}
	return n == 1, nil
}
