package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// FerretDB 1.24 applies an update or delete filtered by _id and version
// as a read, then a write (FerretDB issue 3040): two servers that loaded
// one version can both match it, and the later write overwrites the
// earlier. Inserts of one _id, though, are atomic there. So on FerretDB a
// conditional write first inserts a claim, a document whose _id names the
// record and the version the write starts from: of the writers that
// loaded that version, the one whose claim is inserted writes, and the
// others see a conflict and re-read, as they would on MongoDB. The claim
// is deleted once the write is done. A write costs three commands there
// (insert the claim, write, delete the claim) against one on MongoDB.
//
// The claims live in a database of their own, named after the records'
// with "_claims" appended, in a collection of the records' name. FerretDB
// over SQLite keeps each database in a file of its own, with a writer of
// its own, so claims do not queue behind the records' writes, and reads
// of the records do not pass over claims. With 16 users changing their
// carts on devmongo this took the p99 of a request from 158–182 ms to
// 68–102 ms, and 560–620 requests/s to 870–1150 (bench/loadtest); a
// second collection in the records' database reached 97–113 ms. A
// database name too long for the suffix keeps the claims beside the
// records, as before.
//
// A claim whose delete failed (the server went away after the write)
// would block the version it names. The process that left it takes it
// over at its next write of the record: it holds the record's turn then,
// so no write of its own is using the claim. A claim of another process,
// which may have died, is taken over once older than claimTimeout.

// claimTimeout is how old a claim must be before another writer takes it
// over: far longer than any write, which serverstore bounds by its
// Timeout (2 seconds by default).
const claimTimeout = 30 * time.Second

// releaseTimeout bounds the delete of a claim, which runs after the write
// whatever became of the request's context.
const releaseTimeout = 2 * time.Second

// maxDatabaseName is the longest database name MongoDB and FerretDB take.
const maxDatabaseName = 63

// claimCollection returns the collection for the claims on the records of
// coll (see above).
func claimCollection(coll *mongo.Collection) *mongo.Collection {
	db := coll.Database()
	name := db.Name() + "_claims"
	if len(name) > maxDatabaseName {
		return coll
	}
	return db.Client().Database(name).Collection(coll.Name())
}

// claim is the document of a claim. It has no data and no user, so
// listings, scans and counts of sessions pass it by where it lies beside
// the records, and no expiresAt, so the cleanup leaves it to its writer.
type claim struct {
	ID    string    `bson:"_id"`
	At    time.Time `bson:"at"`
	Owner string    `bson:"owner"` // the backend that took it
}

// claimID names the claim on the write of the record under key that
// starts from version.
func claimID(key []byte, version int64) string {
	return "claim:" + hexKey(key) + ":" + strconv.FormatInt(version, 10)
}

// claim inserts the claim on the write of key from version and returns
// the function that deletes it, or reports false when another writer holds
// it. The caller holds the turn of key.
func (b *backend) claim(ctx context.Context, key []byte, version int64) (release func(), ok bool, err error) {
	id := claimID(key, version)
	for range 2 {
		now := time.Now()
		_, err := b.claimColl.InsertOne(ctx, claim{ID: id, At: now, Owner: b.owner})
		switch {
		case err == nil:
			return func() {
				// After a failed write the context may be done, and the
				// server gone: the delete gets a deadline of its own, so
				// that an outage does not hold the request for the
				// driver's server selection timeout. A claim left behind
				// is taken over (see above).
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
				defer cancel()
				_, _ = b.claimColl.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "at", Value: now}})
			}, true, nil
		case !mongo.IsDuplicateKeyError(err):
			return nil, false, fmt.Errorf("mongostore: %w", classify(err))
		}
		var held claim
		err = b.claimColl.FindOne(ctx, byKey(id)).Decode(&held)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			continue // released meanwhile: try again
		case err != nil:
			return nil, false, fmt.Errorf("mongostore: %w", classify(err))
		case held.Owner != b.owner && now.Sub(held.At) < claimTimeout:
			return nil, false, nil
		}
		// Left by this backend, or abandoned: take it over, unless
		// another writer did first.
		if _, err := b.claimColl.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "at", Value: held.At}}); err != nil {
			return nil, false, fmt.Errorf("mongostore: %w", classify(err))
		}
	}
	return nil, false, nil
}
