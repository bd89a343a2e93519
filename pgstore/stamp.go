package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionseal/session/serverstore"
)

// scanStamp reads a row of not_before, expires_at and ended, whose times
// are Unix microseconds.
func scanStamp(row pgx.Row) (*serverstore.Stamp, error) {
	var (
		st        serverstore.Stamp
		notBefore *time.Time
		ended     map[string]int64
	)
	if err := row.Scan(&notBefore, &st.ExpiresAt, &ended); err != nil {
		return nil, err
	}
	st.NotBefore, st.ExpiresAt = fromNull(notBefore), st.ExpiresAt.UTC()
	if len(ended) > 0 {
		st.Ended = make(map[string]time.Time, len(ended))
		for h, us := range ended {
			st.Ended[h] = time.UnixMicro(us).UTC()
		}
	}
	return &st, nil
}

// GetStamp reads the stamp under key: one SELECT by primary key.
func (b *backend) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	st, err := scanStamp(b.pool.QueryRow(ctx, b.q.getStamp, key))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, serverstore.ErrNotFound
	case err != nil:
		return nil, fail("reading a stamp", err)
	}
	return st, nil
}

// RaiseStamp merges st into the stamp under key, creating it, in one
// upsert that returns the stamp as it left it.
func (b *backend) RaiseStamp(ctx context.Context, key []byte, st *serverstore.Stamp) (*serverstore.Stamp, error) {
	handles := make([]string, 0, len(st.Ended))
	until := make([]int64, 0, len(st.Ended))
	for h, t := range st.Ended {
		handles, until = append(handles, h), append(until, t.UnixMicro())
	}
	got, err := scanStamp(b.pool.QueryRow(ctx, b.q.raiseStamp, key, nullTime(st.NotBefore), st.ExpiresAt, handles, until))
	if err != nil {
		return nil, fail("raising a stamp", err)
	}
	return got, nil
}

// DropEnded removes the named entries from the stamp under key.
func (b *backend) DropEnded(ctx context.Context, key []byte, handles []string) error {
	if len(handles) == 0 {
		return ctx.Err()
	}
	if _, err := b.pool.Exec(ctx, b.q.dropEnded, key, handles); err != nil {
		return fail("dropping ended sessions from a stamp", err)
	}
	return nil
}
