package mongostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sessionseal/session/serverstore"
)

// stamp is the document of a user's revocation stamp. Stamps share the
// collection with sessions; their _id never equals a session's, and they
// have no data and no user. Every write moves a time forward only ($max).
type stamp struct {
	NotBefore time.Time            `bson:"notBefore,omitempty"`
	Ended     map[string]time.Time `bson:"ended,omitempty"`
	ExpiresAt time.Time            `bson:"expiresAt"`
	Data      []byte               `bson:"data,omitempty"` // set only on a session's document
}

func (st *stamp) value() *serverstore.Stamp {
	return &serverstore.Stamp{NotBefore: st.NotBefore, Ended: st.Ended, ExpiresAt: st.ExpiresAt}
}

// GetStamp reads the stamp under key, by _id alone. When the collection
// held binary keys at New, it reads the stamp under the binary form too
// and merges the two: a revocation recorded by an earlier release still
// counts.
func (b *backend) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	st, err := b.readStamp(ctx, hexKey(key))
	if err == nil && b.legacy {
		var old *serverstore.Stamp
		old, err = b.readStamp(ctx, bson.Binary{Data: key})
		st = merge(st, old)
	}
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return nil, serverstore.ErrNotFound
	}
	return st, nil
}

// readStamp reads the stamp under id, nil when there is none.
func (b *backend) readStamp(ctx context.Context, id any) (*serverstore.Stamp, error) {
	var st stamp
	err := b.coll.FindOne(ctx, byKey(id)).Decode(&st)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments), err == nil && len(st.Data) > 0:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	return st.value(), nil
}

// merge returns a with each of b's times merged in, the later of the two;
// either may be nil.
func merge(a, b *serverstore.Stamp) *serverstore.Stamp {
	if a == nil || b == nil {
		return cmp.Or(a, b)
	}
	a.NotBefore, a.ExpiresAt = later(a.NotBefore, b.NotBefore), later(a.ExpiresAt, b.ExpiresAt)
	if a.Ended == nil && len(b.Ended) > 0 {
		a.Ended = map[string]time.Time{}
	}
	for h, t := range b.Ended {
		a.Ended[h] = later(a.Ended[h], t)
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RaiseStamp moves the stamp's times forward with one findAndModify ($max,
// upsert).
func (b *backend) RaiseStamp(ctx context.Context, key []byte, raise *serverstore.Stamp) (*serverstore.Stamp, error) {
	var set bson.D
	if !raise.NotBefore.IsZero() {
		set = append(set, bson.E{Key: "notBefore", Value: raise.NotBefore})
	}
	if !raise.ExpiresAt.IsZero() {
		set = append(set, bson.E{Key: "expiresAt", Value: raise.ExpiresAt})
	}
	for h, t := range raise.Ended {
		set = append(set, bson.E{Key: "ended." + h, Value: t})
	}
	if set == nil {
		st, err := b.GetStamp(ctx, key)
		if errors.Is(err, serverstore.ErrNotFound) {
			return &serverstore.Stamp{}, nil
		}
		return st, err
	}
	defer b.writing.take(key)()
	var st stamp
	// No projection: FerretDB 1.24 refuses one in findAndModify.
	err := b.coll.FindOneAndUpdate(ctx, byKey(hexKey(key)), bson.D{{Key: "$max", Value: set}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&st)
	if err != nil {
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	raised := st.value()
	if b.legacy {
		old, err := b.readStamp(ctx, bson.Binary{Data: key})
		if err != nil {
			return nil, err
		}
		raised = merge(raised, old)
	}
	return raised, nil
}

// DropEnded removes entries of the stamp's ended sub-document.
func (b *backend) DropEnded(ctx context.Context, key []byte, handles []string) error {
	if len(handles) == 0 {
		return nil
	}
	unset := make(bson.D, len(handles))
	for i, h := range handles {
		unset[i] = bson.E{Key: "ended." + h, Value: ""}
	}
	defer b.writing.take(key)()
	for _, id := range b.ids(key) {
		if _, err := b.coll.UpdateOne(ctx, byKey(id), bson.D{{Key: "$unset", Value: unset}}); err != nil {
			return fmt.Errorf("mongostore: %w", classify(err))
		}
	}
	return nil
}
