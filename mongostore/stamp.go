package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sessionseal/session/hybrid"
	"github.com/sessionseal/session/internal/recordkey"
)

// stamp is a user's revocation stamp: sessions of the user created (or
// logged in) before NotBefore are revoked, and so are the sessions ended
// one by one, named by their handles, each until its tokens would have
// expired. Stamps share the collection with sessions; their _id never
// equals a session's, and they have no user field. Every write moves a
// time forward only ($max), so that concurrent writes, or one from a
// server whose clock is behind, never undo a revocation.
type stamp struct {
	NotBefore time.Time            `bson:"notBefore,omitempty"`
	Ended     map[string]time.Time `bson:"ended,omitempty"`
	ExpiresAt time.Time            `bson:"expiresAt"`
}

// maxEnded bounds the sessions a stamp names one by one. A user who ends
// more within their tokens' lifetimes is logged out everywhere instead, so
// that the stamp, read with every session of the user, stays small.
const maxEnded = 100

// forever is the expiry of a stamp whose keep time is unknown.
var forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// SetNotBefore records that the user's sessions created (or logged in)
// before t are revoked, for stores whose sessions the server cannot delete
// (sealed cookies). The stamp is kept for keep after t, which must cover
// the longest session lifetime; zero keeps it for good. The stamp only
// moves forward: an earlier t, from a server whose clock is behind or a
// call that lost a race, changes nothing.
func (s *Store) SetNotBefore(ctx context.Context, userID string, t time.Time, keep time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	until := forever
	if keep > 0 {
		until = t.Add(keep)
	}
	_, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: recordkey.Stamp(userID)}},
		bson.D{{Key: "$max", Value: bson.D{
			{Key: "notBefore", Value: t},
			{Key: "expiresAt", Value: until},
		}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("mongostore: recording a revocation: %w", classify(err))
	}
	return nil
}

// Stamp returns the user's revocation stamp, the zero Stamp when there is
// none. It reads by _id alone.
func (s *Store) Stamp(ctx context.Context, userID string) (hybrid.Stamp, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var st stamp
	err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: recordkey.Stamp(userID)}}).Decode(&st)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return hybrid.Stamp{}, nil
	case err != nil:
		return hybrid.Stamp{}, fmt.Errorf("mongostore: reading a revocation: %w", classify(err))
	}
	out := hybrid.Stamp{NotBefore: st.NotBefore}
	now := s.now()
	for h, until := range st.Ended {
		if until.After(now) {
			if out.Ended == nil {
				out.Ended = make(map[string]bool, len(st.Ended))
			}
			out.Ended[h] = true
		}
	}
	return out, nil
}

// endSessions records in the user's stamp that the sessions named by
// handles are ended, until their tokens expire.
func (s *Store) endSessions(ctx context.Context, userID string, until time.Time, handles ...string) error {
	now := s.now()
	if !until.After(now) {
		return nil
	}
	id := recordkey.Stamp(userID)
	set := bson.D{{Key: "expiresAt", Value: until}}
	for _, h := range handles {
		set = append(set, bson.E{Key: "ended." + h, Value: until})
	}
	var st stamp
	// No projection: FerretDB 1.24 refuses one in findAndModify.
	err := s.coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$max", Value: set}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&st)
	if err != nil {
		return fmt.Errorf("mongostore: recording an ended session: %w", classify(err))
	}
	if len(st.Ended) <= maxEnded {
		return nil
	}
	// Too many: forget the entries whose tokens have expired, or, if that
	// is not enough, end every session of the user up to now, which the
	// entries no longer need to name. The store does not know how long
	// those sessions may live, so that stamp is kept for good.
	var expired bson.D
	for h, t := range st.Ended {
		if !t.After(now) {
			expired = append(expired, bson.E{Key: "ended." + h, Value: ""})
		}
	}
	update := bson.D{{Key: "$unset", Value: expired}}
	if len(st.Ended)-len(expired) > maxEnded {
		nb := now.Truncate(time.Second).Add(time.Second)
		update = bson.D{
			{Key: "$max", Value: bson.D{{Key: "notBefore", Value: nb}, {Key: "expiresAt", Value: forever}}},
			{Key: "$unset", Value: bson.D{{Key: "ended", Value: ""}}},
		}
	}
	if _, err := s.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update); err != nil {
		return fmt.Errorf("mongostore: pruning ended sessions: %w", classify(err))
	}
	return nil
}
