package hybrid

import (
	"context"

	"github.com/sessionseal/session/internal/observe"
)

// checked reports a revocation check to the request's Observer: where the
// stamp came from ("cache" or "store") and the outcome ("valid",
// "revoked", "failed_open" or "failed_closed").
func checked(ctx context.Context, source, outcome string) {
	if b := observe.From(ctx); b != nil {
		if o, ok := b.O.(observe.RevocationChecker); ok {
			o.RevocationChecked(ctx, source, outcome)
		}
	}
}
