package gorillacompat

import (
	"context"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/sessionseal/session"
	"github.com/sessionseal/session/internal/payload"
)

// flashKey is the key under which gorilla/sessions keeps the flashes that
// its Session.AddFlash queues without a key. Migration turns the strings
// found there into flashes of the new session.
const flashKey = "_flash"

// MigrateOptions configures a migration; see Migrate.
type MigrateOptions struct {
	// OnConversionError is called, with the request's context, when a
	// legacy cookie authenticates but not all of it converts. err is a
	// *ConversionError that names the values left out; the session goes on
	// without them. Default: log err at Warn with slog.Default().
	OnConversionError func(ctx context.Context, err error)
}

// ConversionError reports a legacy session that was not converted whole.
// Its text names keys, never values.
type ConversionError struct {
	// Keys names the values left out, sorted: a string key as it is, any
	// other key as its Go type and, for numbers and booleans, its value,
	// such as "int(42)"; a flash that is not a string as "_flash[i]".
	// Keys is nil when the cookie authenticated but could not be
	// deserialized at all (see Err), and was replaced by a new session.
	Keys []string

	// Err is the first underlying error: from encoding/json for a value
	// left out, or from the legacy codec for a cookie it could not
	// deserialize, typically a gob type the application has not registered
	// with gob.Register. Its text may quote what it could not encode.
	Err error
}

func (e *ConversionError) Error() string {
	if e.Keys == nil {
		return "gorillacompat: legacy session authenticated but not deserialized; a new session replaces it: " + e.Err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gorillacompat: legacy session converted without %d value(s): ", len(e.Keys))
	for i, k := range e.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(k))
	}
	return b.String()
}

func (e *ConversionError) Unwrap() error { return e.Err }

// Migrate returns a Store that loads the sessions of store and also
// accepts the cookies of a gorilla/sessions CookieStore of the same cookie
// name, opened with the legacy codecs, so that users stay logged in across
// the switch. The zero MigrateOptions is the default.
//
// The Store first tries store.Load and, when that
// fails with session.ErrInvalid (and only then: an expired token or an
// unavailable store is not a legacy cookie), tries the legacy codecs in
// turn on the token, with the cookie's name (which the Manager passes, and
// which gorilla bound into every legacy cookie), as securecookie.DecodeMulti
// would. The codecs are those of the old store, built as it built them,
// MaxAge included (30 days unless the application changed it):
//
//	securecookie.New(hashKey, blockKey)                                           // gob, as sessions.NewCookieStore
//	securecookie.New(hashKey, blockKey).SetSerializer(securecookie.JSONEncoder{}) // JSON
//
// A JSON codec reads any JSON object. (securecookie's JSONEncoder cannot
// encode the map[interface{}]interface{} of gorilla's session.Values, so
// JSON cookies come from securecookie used directly, or from a serializer
// that turned the keys into strings first.)
//
// A legacy cookie that authenticates becomes a new session, with a new ID,
// holding its values: each string key with its value encoded as JSON, as
// Session.Set encodes it, and each string flash that gorilla kept under
// "_flash" as a flash, in order. Values that do not convert,
// such as a non-string key, a value that JSON cannot encode (NaN, a complex
// number, a nested map[interface{}]interface{}) or a struct whose JSON
// would carry none of its content (no exported fields and no JSON or text
// encoding), are left out and reported to opts.OnConversionError as a
// *ConversionError; so is a cookie that a codec authenticates but cannot
// deserialize, which is then rejected. The Manager gives the new session
// its deadlines and saves it through store on that response: the client
// gets a cookie in the new format in place of the legacy one.
//
// A legacy cookie older than its codec's MaxAge gives session.ErrExpired;
// any other legacy cookie that fails gives store's error, which matches
// session.ErrInvalid. The Manager starts a new session for either.
//
// Save and Delete go to store: legacy codecs only read, never write.
// Migrate panics when store or a codec is nil.
func Migrate(store session.Store, opts MigrateOptions, legacy ...securecookie.Codec) session.Store {
	if store == nil {
		panic("gorillacompat: Migrate of a nil store")
	}
	for _, c := range legacy {
		if c == nil {
			panic("gorillacompat: nil legacy codec")
		}
	}
	m := &migration{store: store, legacy: slices.Clone(legacy), report: opts.OnConversionError}
	if m.report == nil {
		m.report = func(ctx context.Context, err error) {
			slog.Default().WarnContext(ctx, "gorillacompat: legacy session not converted whole", "err", err)
		}
	}
	return m
}

// migration is the Store that Migrate returns.
type migration struct {
	store  session.Store
	legacy []securecookie.Codec
	report func(ctx context.Context, err error)
}

var _ session.Store = (*migration)(nil)

// Save saves r in the wrapped store's format.
func (m *migration) Save(ctx context.Context, name string, r *session.Record, now time.Time) (string, error) {
	return m.store.Save(ctx, name, r, now)
}

// Delete deletes r from the wrapped store.
func (m *migration) Delete(ctx context.Context, r *session.Record, now time.Time) error {
	return m.store.Delete(ctx, r, now)
}

// Load loads token from the wrapped store or, failing that, as a legacy
// cookie of the name.
func (m *migration) Load(ctx context.Context, name, token string, now time.Time) (*session.Record, error) {
	r, err := m.store.Load(ctx, name, token, now)
	if err == nil || !errors.Is(err, session.ErrInvalid) {
		return r, err
	}
	var (
		expired     bool
		undecodable error
	)
	for _, c := range m.legacy {
		var values legacyValues
		lerr := c.Decode(name, token, &values)
		switch {
		case lerr == nil:
			return m.convert(ctx, values), nil
		case isLegacyExpired(lerr):
			expired = true
		case undecodable == nil:
			undecodable = deserializationError(lerr)
		}
	}
	switch {
	case expired:
		return nil, fmt.Errorf("gorillacompat: legacy cookie: %w", session.ErrExpired)
	case undecodable != nil:
		m.report(ctx, &ConversionError{Err: undecodable})
	}
	return nil, err
}

// convert makes the record of a new session holding values. The Manager
// gives it its deadlines and saves it on this response, even when empty:
// the legacy cookie is replaced.
func (m *migration) convert(ctx context.Context, values legacyValues) *session.Record {
	d := payload.Data{ID: payload.NewID()}
	cerr := &ConversionError{}
	skip := func(key string, err error) {
		cerr.Keys = append(cerr.Keys, key)
		if cerr.Err == nil {
			cerr.Err = err
		}
	}
	// Keys are converted in order, so that the reported error does not
	// depend on map order.
	keys := make([]string, 0, len(values))
	for k, v := range values {
		key, ok := k.(string)
		if !ok {
			skip(describeKey(k), fmt.Errorf("key of type %T is not a string", k))
			continue
		}
		if key == flashKey {
			if msgs, bad, ok := flashes(v); ok {
				d.Flashes = append(d.Flashes, msgs...)
				for _, i := range bad {
					skip(fmt.Sprintf("%s[%d]", flashKey, i), errors.New("flash is not a string"))
				}
				continue
			}
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v := values[key]
		if contentless(v) {
			skip(key, fmt.Errorf("json: %T has no exported fields", v))
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			skip(key, err)
			continue
		}
		d.Entries = append(d.Entries, payload.Entry{Key: key, Value: b})
	}
	if len(cerr.Keys) > 0 {
		slices.Sort(cerr.Keys)
		m.report(ctx, cerr)
	}
	return &session.Record{ID: d.ID, Payload: d.Append(nil), Converted: true}
}

// legacyValues is what legacy cookies decode into: the Values of a
// gorilla/sessions session. gob decodes into it as into the
// map[interface{}]interface{} it encoded; encoding/json cannot hold
// interface keys, so UnmarshalJSON reads a JSON object instead, keeping each
// value's JSON as it is.
type legacyValues map[any]any

// UnmarshalJSON reads a JSON object into v, each value as a
// json.RawMessage, so that numbers keep their precision.
func (v *legacyValues) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*v = make(legacyValues, len(m))
	for k, raw := range m {
		(*v)[k] = raw
	}
	return nil
}

var _ json.Unmarshaler = (*legacyValues)(nil)

// flashes returns the string flashes of v, a gorilla flash list (a
// []interface{} from gob, a JSON array from JSON) and the indexes of those
// that are not strings. ok is false when v is not a list.
func flashes(v any) (msgs []string, bad []int, ok bool) {
	var list []any
	switch v := v.(type) {
	case []any:
		list = v
	case json.RawMessage:
		var raws []json.RawMessage
		if json.Unmarshal(v, &raws) != nil {
			return nil, nil, false
		}
		for _, r := range raws {
			var s string
			if json.Unmarshal(r, &s) == nil {
				list = append(list, s)
			} else {
				list = append(list, r)
			}
		}
	default:
		return nil, nil, false
	}
	for i, f := range list {
		if s, ok := f.(string); ok {
			msgs = append(msgs, s)
		} else {
			bad = append(bad, i)
		}
	}
	return msgs, bad, true
}

// describeKey names a non-string key for a ConversionError: numbers and
// booleans with their value, which identifies them, anything else by its
// type only, which reveals no data.
func describeKey(k any) string {
	switch reflect.ValueOf(k).Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return fmt.Sprintf("%T(%v)", k, k)
	}
	return fmt.Sprintf("%T", k)
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// contentless reports whether json.Marshal would drop all of v's content:
// a struct with fields, none exported, and no JSON or text encoding of its
// own, which JSON writes as {}. gob can carry such a value only through
// its GobEncode or MarshalBinary, so it did hold data, which Set would lose
// without a word.
func contentless(v any) bool {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) {
			return false
		}
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || t.NumField() == 0 {
		return false
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonMarshaler) || pt.Implements(textMarshaler) {
		return false
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() || f.Anonymous {
			return false
		}
	}
	return true
}

// isLegacyExpired reports whether err is a legacy codec's verdict that an
// authentic cookie is past its MaxAge.
func isLegacyExpired(err error) bool {
	return errors.Is(err, session.ErrExpired) || errors.Is(err, securecookieExpired())
}

// securecookieExpired returns the error securecookie gives a cookie past
// its MaxAge. securecookie does not export it, so it is made once here, by
// decoding a cookie under a MaxAge that every cookie exceeds (a negative
// one), rather than matched by its text. securecookie's errors are
// comparable values, so errors.Is finds it.
var securecookieExpired = sync.OnceValue(func() error {
	sc := securecookie.New(make([]byte, 32), nil).MaxAge(-1)
	v, err := sc.Encode("x", "")
	if err != nil {
		panic("gorillacompat: securecookie cannot encode: " + err.Error())
	}
	return sc.Decode("x", v, new(string))
})

// deserializationError returns the cause of err when it says that a legacy
// codec authenticated a cookie but could not deserialize it, and nil
// otherwise. securecookie reports both a bad MAC and a failed
// deserialization as decode errors; only the latter carries the cause of
// another library (the serializer's) apart from base64's, which comes
// before authentication.
func deserializationError(err error) error {
	var se securecookie.Error
	if !errors.As(err, &se) || !se.IsDecode() {
		return nil
	}
	cause := se.Cause()
	var b64 base64.CorruptInputError
	if cause == nil || errors.As(cause, &b64) {
		return nil
	}
	return cause
}
