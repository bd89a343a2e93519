package mongostore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/sessionseal/session"
	"github.com/sessionseal/session/serverstore"
)

// backend keeps session records and revocation stamps as documents of one
// MongoDB collection. It is safe for concurrent use.
type backend struct {
	coll   *mongo.Collection
	ttl    bool // the server expires documents itself
	legacy bool // the collection held binary keys when New ran
	claims bool // the server is FerretDB: conditional writes take claims
	// claimColl holds the claims: the collection of the same name in
	// another database (claims.go).
	claimColl *mongo.Collection
	owner     string // names this backend's claims

	writing turns // of each key's writes from this process
}

// record is the document of one session.
type record struct {
	ID        any       `bson:"_id"`
	Data      []byte    `bson:"data,omitempty"`
	User      any       `bson:"user,omitempty"`
	ExpiresAt time.Time `bson:"expiresAt"`
	Version   int64     `bson:"version"`
	Created   time.Time `bson:"created"`
	Updated   time.Time `bson:"updated"`
	Device    *device   `bson:"device,omitempty"`
	From      time.Time `bson:"from,omitempty"`
}

// device is the client of a record's last save. The Manager bounds both
// fields before any store keeps them for the session's lifetime.
type device struct {
	UserAgent string `bson:"userAgent,omitempty"`
	IP        string `bson:"ip,omitempty"`
}

func toRecord(doc *serverstore.Document) *record {
	r := &record{ID: hexKey(doc.Key), Data: doc.Data, ExpiresAt: doc.ExpiresAt, Version: doc.Version,
		Created: doc.Created, Updated: doc.Updated, From: doc.From}
	if doc.User != nil {
		r.User = hexKey(doc.User)
	}
	if doc.UserAgent != "" || doc.IP != "" {
		r.Device = &device{UserAgent: doc.UserAgent, IP: doc.IP}
	}
	return r
}

func (r *record) document() serverstore.Document {
	doc := serverstore.Document{Key: keyBytes(r.ID), Data: r.Data, User: keyBytes(r.User), ExpiresAt: r.ExpiresAt,
		Version: r.Version, Created: r.Created, Updated: r.Updated, From: r.From}
	if r.Device != nil {
		doc.UserAgent, doc.IP = r.Device.UserAgent, r.Device.IP
	}
	return doc
}

// hexKey is how a key is stored in _id and user: lowercase hex, a string,
// which FerretDB hands to its database as a filter (it never hands a
// binary value on), and which sorts as the key's bytes do.
func hexKey(key []byte) string { return hex.EncodeToString(key) }

// keyBytes returns the key stored as v: hex, or the binary value that
// releases before hex keys wrote; nil for anything else.
func keyBytes(v any) []byte {
	switch v := v.(type) {
	case string:
		b, err := hex.DecodeString(v)
		if err != nil {
			return nil
		}
		return b
	case bson.Binary:
		return v.Data
	}
	return nil
}

// indexTimeout bounds New's index builds.
const indexTimeout = time.Minute

// New returns a backend that keeps sessions in coll. It ensures the
// indexes: one on user, and a TTL index on expiresAt, within ctx and a
// deadline of a minute, since a first build on a large collection takes
// longer than a request should.
// When the server refuses TTL indexes (FerretDB does), NativeExpiry
// reports false and the serverstore.Store deletes expired documents itself.
func New(ctx context.Context, coll *mongo.Collection) (serverstore.Backend, error) {
	if coll == nil {
		return nil, errors.New("mongostore: nil collection")
	}
	ctx, cancel := context.WithTimeout(ctx, indexTimeout)
	defer cancel()
	_, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "user", Value: 1}}})
	if err != nil {
		return nil, fmt.Errorf("mongostore: creating the user index: %w", classify(err))
	}
	b := &backend{coll: coll}
	var info bson.M
	if err := coll.Database().RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return nil, fmt.Errorf("mongostore: buildInfo: %w", classify(err))
	}
	_, b.claims = info["ferretdbVersion"]
	b.claimColl = claimCollection(coll)
	b.owner = rand.Text()
	_, err = coll.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "expiresAt", Value: 1}},
		Options: options.Index().SetExpireAfterSeconds(0),
	})
	var ce mongo.CommandError
	switch {
	case err == nil:
		b.ttl = true
	case errors.As(err, &ce) && !unreachable(err):
		// FerretDB answers NotImplemented (238); any refusal of the TTL
		// option leaves expiry to the store's cleanup loop.
	default:
		return nil, fmt.Errorf("mongostore: creating the expiry index: %w", classify(err))
	}
	// Releases before hex keys stored them as binary values. One lookup
	// tells whether any are left; only then do lookups that miss try the
	// binary form too.
	err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$type", Value: "binData"}}}}).Err()
	switch {
	case err == nil:
		b.legacy = true
	case !errors.Is(err, mongo.ErrNoDocuments):
		return nil, fmt.Errorf("mongostore: looking for binary keys: %w", classify(err))
	}
	return b, nil
}

// NativeExpiry reports whether the server accepted the TTL index.
func (b *backend) NativeExpiry() bool { return b.ttl }

// byKey is the filter of a point lookup: _id alone, which every server
// answers from its primary index (FerretDB's SQLite backend scans the
// collection for any other filter). id is a key as stored (see ids).
func byKey(id any) bson.D { return bson.D{{Key: "_id", Value: id}} }

// ids returns the forms in which key may be stored, the current one first:
// hex, and when the collection held binary keys at New, binary.
func (b *backend) ids(key []byte) []any {
	if b.legacy {
		return []any{hexKey(key), bson.Binary{Data: key}}
	}
	return []any{hexKey(key)}
}

// byUser is the filter of the user's documents, in every stored form.
func (b *backend) byUser(user []byte) bson.D {
	if b.legacy {
		return bson.D{{Key: "user", Value: bson.D{{Key: "$in", Value: b.ids(user)}}}}
	}
	return bson.D{{Key: "user", Value: hexKey(user)}}
}

// hasData selects session documents, not stamps.
var hasData = bson.E{Key: "data", Value: bson.D{{Key: "$exists", Value: true}}}

// Get reads the session document under key.
func (b *backend) Get(ctx context.Context, key []byte) (*serverstore.Document, error) {
	for _, id := range b.ids(key) {
		var r record
		err := b.coll.FindOne(ctx, byKey(id)).Decode(&r)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			continue
		case err != nil:
			return nil, fmt.Errorf("mongostore: %w", classify(err))
		case len(r.Data) == 0:
			// A stamp, not a session.
			return nil, serverstore.ErrNotFound
		}
		doc := r.document()
		return &doc, nil
	}
	return nil, serverstore.ErrNotFound
}

// Insert writes doc as a new document.
func (b *backend) Insert(ctx context.Context, doc *serverstore.Document) error {
	_, err := b.coll.InsertOne(ctx, toRecord(doc))
	switch {
	case mongo.IsDuplicateKeyError(err):
		return serverstore.ErrExists
	case err != nil:
		return fmt.Errorf("mongostore: %w", classify(err))
	}
	return nil
}

// Update writes doc into the document under doc.Key if its version is
// version: one updateOne filtered by _id and version. expiresAt and updated
// move with $max, which leaves them, and the expiresAt index, untouched
// when they do not move forward; user and device are written only when
// doc.UserChanged.
func (b *backend) Update(ctx context.Context, doc *serverstore.Document, version int64) (bool, error) {
	r := toRecord(doc)
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "data", Value: r.Data}, {Key: "version", Value: r.Version}}},
		{Key: "$max", Value: bson.D{{Key: "expiresAt", Value: r.ExpiresAt}, {Key: "updated", Value: r.Updated}}},
	}
	if doc.UserChanged {
		var set, unset bson.D
		if r.User != nil {
			set = append(set, bson.E{Key: "user", Value: r.User})
		} else {
			unset = append(unset, bson.E{Key: "user", Value: ""})
		}
		if r.Device != nil {
			set = append(set, bson.E{Key: "device", Value: r.Device})
		} else {
			unset = append(unset, bson.E{Key: "device", Value: ""})
		}
		update[0].Value = append(update[0].Value.(bson.D), set...)
		if unset != nil {
			update = append(update, bson.E{Key: "$unset", Value: unset})
		}
	}
	defer b.writing.take(doc.Key)()
	if b.claims {
		release, ok, err := b.claim(ctx, doc.Key, version)
		if !ok {
			return false, err
		}
		defer release()
	}
	for _, id := range b.ids(doc.Key) {
		res, err := b.coll.UpdateOne(ctx, append(byKey(id), bson.E{Key: "version", Value: version}), update)
		if err != nil {
			return false, fmt.Errorf("mongostore: %w", classify(err))
		}
		if res.MatchedCount == 1 {
			return true, nil
		}
	}
	return false, nil
}

// Delete deletes the document under key, at version unless it is 0.
func (b *backend) Delete(ctx context.Context, key []byte, version int64) (bool, error) {
	defer b.writing.take(key)()
	if b.claims && version != 0 {
		release, ok, err := b.claim(ctx, key, version)
		if !ok {
			return false, err
		}
		defer release()
	}
	for _, id := range b.ids(key) {
		filter := byKey(id)
		if version != 0 {
			filter = append(filter, bson.E{Key: "version", Value: version})
		}
		res, err := b.coll.DeleteOne(ctx, filter)
		if err != nil {
			return false, fmt.Errorf("mongostore: %w", classify(err))
		}
		if res.DeletedCount == 1 {
			return true, nil
		}
	}
	return false, nil
}

// ListUser reads the user's session documents.
func (b *backend) ListUser(ctx context.Context, user []byte) ([]serverstore.Document, error) {
	cur, err := b.coll.Find(ctx, b.byUser(user))
	if err != nil {
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	return all(ctx, cur)
}

// all decodes every document of cur.
func all(ctx context.Context, cur *mongo.Cursor) ([]serverstore.Document, error) {
	var recs []record
	if err := cur.All(ctx, &recs); err != nil {
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	docs := make([]serverstore.Document, len(recs))
	for i := range recs {
		docs[i] = recs[i].document()
	}
	return docs, nil
}

// DeleteUser deletes the user's session documents.
func (b *backend) DeleteUser(ctx context.Context, user []byte) (int64, error) {
	res, err := b.coll.DeleteMany(ctx, b.byUser(user))
	if err != nil {
		return 0, fmt.Errorf("mongostore: %w", classify(err))
	}
	return res.DeletedCount, nil
}

// Scan reads up to limit session documents with an _id after after, in
// _id order: hex strings, which sort as the keys' bytes do. Documents with
// binary keys, from releases before hex keys, are not scanned; they expire
// within a session lifetime of the upgrade.
func (b *backend) Scan(ctx context.Context, after []byte, limit int) ([]serverstore.Document, error) {
	// $gt and $gte compare strings with strings only.
	from := bson.E{Key: "$gte", Value: ""}
	if after != nil {
		from = bson.E{Key: "$gt", Value: hexKey(after)}
	}
	filter := bson.D{hasData, {Key: "_id", Value: bson.D{from}}}
	cur, err := b.coll.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("mongostore: %w", classify(err))
	}
	return all(ctx, cur)
}

// Count counts the session documents.
func (b *backend) Count(ctx context.Context) (int64, error) {
	n, err := b.coll.CountDocuments(ctx, bson.D{hasData})
	if err != nil {
		return 0, fmt.Errorf("mongostore: %w", classify(err))
	}
	return n, nil
}

// DeleteExpired deletes the documents, sessions and stamps, whose expiresAt
// is not after now.
func (b *backend) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	res, err := b.coll.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lte", Value: now}}}})
	if err != nil {
		return 0, fmt.Errorf("mongostore: %w", classify(err))
	}
	return res.DeletedCount, nil
}

// classify marks errors that mean the server could not be reached as
// session.ErrStoreUnavailable, so that the Manager answers 503.
func classify(err error) error {
	if unreachable(err) {
		return fmt.Errorf("%w: %v", session.ErrStoreUnavailable, err)
	}
	return err
}

// unreachable reports whether err means the server could not be reached.
// A connection the server closed comes back as a mongo.CommandError that is
// also a network error, so this is checked before any CommandError.
func unreachable(err error) bool {
	var sse topology.ServerSelectionError
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.As(err, &sse) ||
		errors.Is(err, mongo.ErrClientDisconnected) || errors.Is(err, context.DeadlineExceeded)
}
