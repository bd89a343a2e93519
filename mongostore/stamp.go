package mongostore

import (
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

// GetStamp reads the stamp under key, by _id alone.
func (b *backend) GetStamp(ctx context.Context, key []byte) (*serverstore.Stamp, error) {
	var st stamp
	err := b.coll.FindOne(ctx, byKey(key)).Decode(&st)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments), err == nil && len(st.Data) > 0:
		return nil, serverstore.ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	return st.value(), nil
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
	err := b.coll.FindOneAndUpdate(ctx, byKey(key), bson.D{{Key: "$max", Value: set}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&st)
	if err != nil {
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	return st.value(), nil
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
	if _, err := b.coll.UpdateOne(ctx, byKey(key), bson.D{{Key: "$unset", Value: unset}}); err != nil {
		return fmt.Errorf("mongostore: %w", classify(err))
	}
	return nil
}
