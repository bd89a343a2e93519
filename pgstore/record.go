package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sessionseal/session/serverstore"
)

// scanDocument reads a row of columns.
func scanDocument(row pgx.Row) (serverstore.Document, error) {
	var (
		d                 serverstore.Document
		created, origin   *time.Time
		userAgent, ipAddr *string
	)
	err := row.Scan(&d.Key, &d.Data, &d.User, &d.Version, &d.ExpiresAt, &created, &d.Updated, &origin, &userAgent, &ipAddr)
	if err != nil {
		return serverstore.Document{}, err
	}
	d.ExpiresAt, d.Updated = d.ExpiresAt.UTC(), d.Updated.UTC()
	d.Created, d.From = fromNull(created), fromNull(origin)
	d.UserAgent, d.IP = fromNullText(userAgent), fromNullText(ipAddr)
	return d, nil
}

// Get reads the record under key: one SELECT by primary key.
func (b *backend) Get(ctx context.Context, key []byte) (*serverstore.Document, error) {
	d, err := scanDocument(b.pool.QueryRow(ctx, b.q.get, key))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, serverstore.ErrNotFound
	case err != nil:
		return nil, fail("reading a record", err)
	}
	return &d, nil
}

// Insert adds doc unless a record has its key.
func (b *backend) Insert(ctx context.Context, doc *serverstore.Document) error {
	tag, err := b.pool.Exec(ctx, b.q.insert, doc.Key, doc.Data, doc.User, doc.Version, doc.ExpiresAt,
		nullTime(doc.Created), doc.Updated, nullTime(doc.From), nullText(doc.UserAgent), nullText(doc.IP))
	switch {
	case err != nil:
		return fail("inserting a record", err)
	case tag.RowsAffected() == 0:
		return serverstore.ErrExists
	}
	return nil
}

// Update writes doc into the record under doc.Key, as the Backend contract
// says, if its version is version: one conditional UPDATE.
func (b *backend) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	args := []any{doc.Key, version, doc.Data, doc.Version, doc.ExpiresAt, doc.Updated}
	sql := b.q.update
	if doc.UserChanged {
		sql = b.q.updateUser
		args = append(args, doc.User, nullText(doc.UserAgent), nullText(doc.IP))
	}
	tag, err := b.pool.Exec(ctx, sql, args...)
	if err != nil {
		return false, fail("updating a record", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Delete deletes the record under key if its version is version, or
// whatever its version when version is 0.
func (b *backend) Delete(ctx context.Context, key []byte, version int64) (bool, error) {
	sql, args := b.q.delete, []any{key, version}
	if version == 0 {
		sql, args = b.q.deleteAny, args[:1]
	}
	tag, err := b.pool.Exec(ctx, sql, args...)
	if err != nil {
		return false, fail("deleting a record", err)
	}
	return tag.RowsAffected() == 1, nil
}
