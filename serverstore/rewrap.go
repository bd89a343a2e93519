package serverstore

import (
	"context"
	"fmt"

	"github.com/sessionseal/session/internal/format"

	"github.com/sessionseal/session/keyrotation"
)

// rewrapPage is how many records Rewrap reads per backend call.
const rewrapPage = 256

// Rewrap re-seals under the ring's primary key every record sealed under
// another key, and returns how many it re-sealed. Run it after a promotion,
// so that the stored records stop depending on the old key at once rather
// than as their sessions are used. It does not touch the reference tokens
// clients hold: Load asks for each to be re-signed under the primary key on
// the client's next request, and disabling the old key refuses those not
// re-signed yet, as it refuses cookies the old key sealed.
//
// Each update is conditioned on the record's version, so a concurrent save
// (which re-seals under the primary anyway) wins. Rewrap skips records
// already under the primary key, so a second run, or one resumed after an
// interruption, does only what is left. Records that fail authentication
// are left alone and logged. progress, when not nil, is called after each
// record with the number seen and the number there were at the start
// (records saved during the run can take the first past the second). ctx
// bounds the whole run; each backend call also gets Options.Timeout.
func (s *Store) Rewrap(ctx context.Context, progress func(done, total int64)) (int64, error) {
	total, err := s.db.count(ctx)
	if err != nil {
		return 0, err
	}
	var after []byte
	var done, rewrapped int64
	for {
		docs, err := s.db.scan(ctx, after, rewrapPage)
		if err != nil {
			return rewrapped, err
		}
		for i := range docs {
			done++
			ok, err := s.rewrap(ctx, &docs[i])
			if err != nil {
				return rewrapped, err
			}
			if ok {
				rewrapped++
			}
			if progress != nil {
				progress(done, total)
			}
		}
		if len(docs) < rewrapPage {
			return rewrapped, nil
		}
		after = docs[len(docs)-1].Key
	}
}

// rewrap re-seals one record under the primary key, reporting whether it
// did.
func (s *Store) rewrap(ctx context.Context, doc *Document) (bool, error) {
	primary, _, err := s.keys.Primary(keyrotation.PurposeRecord)
	if err != nil {
		return false, fmt.Errorf("serverstore: %w", err)
	}
	if kid, ok := sealedBy(doc.Data); ok && kid == primary {
		return false, nil
	}
	var flags byte
	if isDevice(doc) {
		flags = format.FlagReference
	}
	plaintext, _, err := s.openAs(doc, flags)
	if err != nil {
		s.log.WarnContext(ctx, "serverstore: rewrap skipped a record that does not open", "err", err)
		return false, nil
	}
	data, err := s.sealAs(doc.Key, plaintext, flags)
	if err != nil {
		return false, err
	}
	version := doc.Version
	doc.Data, doc.Version = data, version+1
	return s.db.update(ctx, doc, version)
}
