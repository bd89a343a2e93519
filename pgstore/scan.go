package pgstore

import (
	"context"
	"time"

	"github.com/sessionseal/session/serverstore"
)

// Scan returns up to limit records whose keys sort after after, in key
// order, by the primary key's index.
func (b *backend) Scan(ctx context.Context, after []byte, limit int) ([]serverstore.Document, error) {
	if limit <= 0 {
		return nil, ctx.Err()
	}
	if after == nil {
		after = []byte{} // nil is NULL, after which nothing sorts
	}
	docs, err := b.queryDocuments(ctx, b.q.scan, after, limit)
	if err != nil {
		return nil, fail("scanning records", err)
	}
	return docs, nil
}

// Count returns the number of records: a pass over the table, or over the
// primary key's index when PostgreSQL finds that cheaper.
func (b *backend) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := b.pool.QueryRow(ctx, b.q.count).Scan(&n); err != nil {
		return 0, fail("counting records", err)
	}
	return n, nil
}

// DeleteExpired deletes the records and stamps whose expiry is not after
// now, by the expires_at indexes, in batches of deleteBatch rows. When ctx
// ends part way, the batches done stay done, and it returns the count of
// those whose answer came, with the error.
func (b *backend) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, sql := range []string{b.q.expireSessions, b.q.expireStamps} {
		for {
			tag, err := b.pool.Exec(ctx, sql, now, deleteBatch)
			if err != nil {
				return total, fail("deleting expired records", err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < deleteBatch {
				break
			}
		}
	}
	return total, nil
}
