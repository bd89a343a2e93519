package pgstore

import "strings"

// queries are the statements of a backend, each one a single statement, so
// that it is atomic and costs one round trip (see the package
// documentation). They take every value as a parameter; only the table
// names, checked by checkTable, are in the text.
type queries struct {
	check string

	get, insert, update, updateUser, delete, deleteAny string
	listUser, deleteUser, scan, count                  string
	expireSessions, expireStamps                       string

	getStamp, raiseStamp, dropEnded string
}

// columns are a record's columns, in the order scanDocument reads them.
const columns = `key, data, user_key, version, expires_at, created, updated, origin, user_agent, ip`

// deleteBatch is how many expired rows one statement of DeleteExpired
// deletes: each batch commits on its own, so that a cleanup that runs out
// of time keeps what it did, and no statement holds locks on more rows.
const deleteBatch = 1000

func newQueries(table string) queries {
	r := strings.NewReplacer("{sessions}", quote(table), "{stamps}", quote(table+"_stamps"), "{columns}", columns)
	return queries{
		check: r.Replace(`SELECT {columns} FROM {sessions} LIMIT 0;
SELECT key, not_before, expires_at, ended FROM {stamps} LIMIT 0`),

		get: r.Replace(`SELECT {columns} FROM {sessions} WHERE key = $1`),
		// ON CONFLICT DO NOTHING rather than a unique violation: no error
		// for the server to log, and no aborted statement.
		insert: r.Replace(`INSERT INTO {sessions} ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (key) DO NOTHING`),
		// Under READ COMMITTED, an UPDATE that waited for a concurrent one
		// of the same row checks its WHERE again on the row that one left:
		// of two updates at one version, one changes the row.
		update: r.Replace(`UPDATE {sessions} SET data = $3, version = $4,
    expires_at = GREATEST(expires_at, $5), updated = GREATEST(updated, $6)
WHERE key = $1 AND version = $2`),
		updateUser: r.Replace(`UPDATE {sessions} SET data = $3, version = $4,
    expires_at = GREATEST(expires_at, $5), updated = GREATEST(updated, $6),
    user_key = $7, user_agent = $8, ip = $9
WHERE key = $1 AND version = $2`),
		delete:    r.Replace(`DELETE FROM {sessions} WHERE key = $1 AND version = $2`),
		deleteAny: r.Replace(`DELETE FROM {sessions} WHERE key = $1`),

		listUser:   r.Replace(`SELECT {columns} FROM {sessions} WHERE user_key = $1`),
		deleteUser: r.Replace(`DELETE FROM {sessions} WHERE user_key = $1`),
		// bytea compares bytewise, as Backend.Scan orders keys.
		scan:  r.Replace(`SELECT {columns} FROM {sessions} WHERE key > $1 ORDER BY key LIMIT $2`),
		count: r.Replace(`SELECT count(*) FROM {sessions}`),

		// SKIP LOCKED: rows that a save holds are left for the next
		// cleanup rather than waited for, and cleanups of several
		// processes take different rows.
		expireSessions: r.Replace(`DELETE FROM {sessions} WHERE key IN (
    SELECT key FROM {sessions} WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`),
		expireStamps: r.Replace(`DELETE FROM {stamps} WHERE key IN (
    SELECT key FROM {stamps} WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`),

		getStamp: r.Replace(`SELECT not_before, expires_at, ended FROM {stamps} WHERE key = $1`),
		// Ended maps each handle to its time in Unix microseconds. The
		// upsert locks the row, so that the times it keeps, each the later
		// of the stored and the given one, and the stamp it returns are
		// those of one moment, whatever runs at once.
		raiseStamp: r.Replace(`INSERT INTO {stamps} AS s (key, not_before, expires_at, ended)
VALUES ($1, $2, $3, (SELECT coalesce(jsonb_object_agg(h, t), '{}') FROM unnest($4::text[], $5::bigint[]) AS e(h, t)))
ON CONFLICT (key) DO UPDATE SET
    not_before = GREATEST(s.not_before, EXCLUDED.not_before),
    expires_at = GREATEST(s.expires_at, EXCLUDED.expires_at),
    ended = s.ended || (SELECT coalesce(jsonb_object_agg(e.key, GREATEST(e.value::bigint, (s.ended ->> e.key)::bigint)), '{}')
        FROM jsonb_each_text(EXCLUDED.ended) AS e)
RETURNING not_before, expires_at, ended`),
		dropEnded: r.Replace(`UPDATE {stamps} SET ended = ended - $2::text[] WHERE key = $1`),
	}
}
