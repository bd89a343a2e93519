package payload

import "time"

// MaxClockSkew is how far ahead of the verifying server's clock a token's
// creation and issue times may lie. A token dated further ahead was sealed
// by a server whose clock runs fast; the Manager and gorillacompat's codec
// refuse it as expired, since otherwise its deadlines, counted from those
// times, would outlast the options, and a revocation stamp made later on a
// correct clock would not reach it. Times are whole seconds, so some skew
// is needed; servers kept in step by NTP agree within milliseconds, and a
// clock left without it drifts a second or two a day, so a minute absorbs
// weeks of lost sync while a fast server gains its tokens at most a
// minute. Servers that share sessions must stay within a minute of each
// other: beyond it, sessions sealed by the one ahead are refused by the
// others until their clocks catch up.
const MaxClockSkew = time.Minute
