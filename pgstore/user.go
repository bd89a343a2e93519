package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/sessionseal/session/serverstore"
)

// queryDocuments runs sql, a SELECT of columns, and reads every row.
func (b *backend) queryDocuments(ctx context.Context, sql string, args ...any) ([]serverstore.Document, error) {
	rows, err := b.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (serverstore.Document, error) { return scanDocument(row) })
}

// ListUser returns the user's records, found by the user_key index.
func (b *backend) ListUser(ctx context.Context, user []byte) ([]serverstore.Document, error) {
	docs, err := b.queryDocuments(ctx, b.q.listUser, user)
	if err != nil {
		return nil, fail("listing a user's records", err)
	}
	return docs, nil
}

// DeleteUser deletes the user's records, found by the user_key index, in
// one statement: a record given to the user by a save that commits after
// the statement began is not deleted, like a login that came after the
// revocation.
func (b *backend) DeleteUser(ctx context.Context, user []byte) (int64, error) {
	tag, err := b.pool.Exec(ctx, b.q.deleteUser, user)
	if err != nil {
		return 0, fail("deleting a user's records", err)
	}
	return tag.RowsAffected(), nil
}
