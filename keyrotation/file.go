package keyrotation

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// Versions of the key ring file. Version 2 adds the optional "enabled"
// field of keys; Marshal writes version 2 exactly when a key has an enabled
// time, so that rings whose keys were never enabled again stay readable by
// readers of version 1.
const (
	fileVersion1 = 1
	fileVersion2 = 2
)

// MaxFileSize is the size of the largest key ring file that Parse and
// LoadFile accept and WriteFile writes, 1 MiB: thousands of keys, far more
// than a ring needs.
const MaxFileSize = 1 << 20

// secretEncoding is the encoding of a secret in the file: standard base64
// with padding, one encoding per secret.
var secretEncoding = base64.StdEncoding.Strict()

// ParseError says what is wrong with a key ring file: one that Parse,
// LoadFile or WatchFile read, or one that WriteFile refused to write because
// it would not read back. It matches ErrInvalidKeyring. Its text names the
// key, the field and the problem, and never contains secrets or the file's
// content: a JSON syntax error is reported by byte offset only.
type ParseError struct {
	Key     int    // index in "keys", or -1 when the problem is not in one key
	Field   string // the JSON field at fault, or "" when the problem is not in one field
	Problem string

	path      string // the file read, or not written, when there was one
	unwritten bool   // WriteFile left path as it was
}

// Error returns a description such as
// `keyrotation: key 2: field "secret": must be 32 bytes in standard base64`.
func (e *ParseError) Error() string {
	b := []byte("keyrotation: ")
	if e.path != "" {
		b = append(b, e.path...)
		if e.unwritten {
			b = append(b, " left unchanged: the new ring would not read back"...)
		}
		b = append(b, ": "...)
	}
	if e.Key >= 0 {
		b = append(b, "key "...)
		b = strconv.AppendInt(b, int64(e.Key), 10)
		b = append(b, ": "...)
	}
	if e.Field != "" {
		b = append(b, "field "...)
		b = strconv.AppendQuote(b, e.Field)
		b = append(b, ": "...)
	}
	return string(append(b, e.Problem...))
}

// Is reports whether target is ErrInvalidKeyring.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidKeyring }

// Marshal returns the ring in the key ring file format (see "File format"
// in the package documentation), keys in the order of Keys. The result
// contains every secret of the ring: store it as WriteFile does, readable
// by its owner only.
func (k *Keyring) Marshal() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.marshal()
}

// marshal is Marshal with k.mu held.
func (k *Keyring) marshal() ([]byte, error) {
	type key struct {
		ID       uint32 `json:"id"`
		State    State  `json:"state"`
		Created  string `json:"created"`
		Promoted string `json:"promoted,omitempty"`
		Enabled  string `json:"enabled,omitempty"`
		Secret   string `json:"secret"`
	}
	type file struct {
		Version          int    `json:"version"`
		PropagationDelay string `json:"propagation_delay,omitempty"`
		Keys             []key  `json:"keys"`
	}
	s := k.snap.Load()
	f := file{Version: fileVersion1, Keys: make([]key, len(s.keys))}
	// A ring that never set the delay leaves it out, so that the file
	// follows DefaultPropagationDelay.
	if k.recordDelay {
		f.PropagationDelay = k.delay.String()
	}
	for i, e := range s.keys {
		f.Keys[i] = key{
			ID:      e.id,
			State:   e.state,
			Created: e.created.Format(time.RFC3339Nano),
			Secret:  secretEncoding.EncodeToString(e.m.secret[:]),
		}
		if !e.promoted.IsZero() {
			f.Keys[i].Promoted = e.promoted.Format(time.RFC3339Nano)
		}
		// The enabled time depends on the ring alone, never on the clock,
		// so that Marshal gives the same file for the same ring.
		if !e.enabled.IsZero() {
			f.Keys[i].Enabled = e.enabled.Format(time.RFC3339Nano)
			f.Version = fileVersion2
		}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keyrotation: encoding key ring: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteFile writes the ring to path in the format of Marshal, atomically:
// it writes a temporary file in the same directory with mode 0600 (read and
// write for the owner only), syncs it, renames it over path and syncs the
// directory. A reader of path, such as another process loading the ring,
// sees the old ring or the new one, never a part; after a crash, path holds
// one of them. On Unix the new file keeps the owner and group of the file
// it replaces, so that a ring edited as root stays readable by the servers
// that own it; when the process may not give the file away, WriteFile
// fails and leaves path as it was.
//
// WriteFile parses what it would write, and writes nothing when Parse
// refuses it (a ring that has outgrown MaxFileSize, say): it returns that
// *ParseError, which names path and matches ErrInvalidKeyring, and path
// keeps the ring it had.
//
// Changes to the ring wait while WriteFile runs, so that of several calls
// for one path, the last to finish writes the ring as the last change left
// it.
func (k *Keyring) WriteFile(path string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, err := k.marshal()
	if err != nil {
		return err
	}
	// A file that Parse refuses would be refused by every server's
	// watcher, so the new key would never propagate, and no server could
	// start from it: better to keep the file that works.
	if _, err := Parse(b); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.path, pe.unwritten = path, true
		}
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if tmp != "" { // not renamed: remove the partial file
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600 less the umask; set it exactly.
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := keepOwner(f, path); err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	tmp = ""
	// The rename is durable only once the directory is synced.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keyrotation: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keyrotation: syncing directory %s: %w", dir, err)
	}
	return nil
}

// LoadFile reads the key ring file at path and parses it as Parse does.
// An error names path but never the file's content; a *ParseError matches
// ErrInvalidKeyring. LoadFile does not check the file's mode; WriteFile
// writes 0600.
func LoadFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyrotation: %w", err)
	}
	defer f.Close()
	// One byte over the limit is enough for Parse to refuse the file.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keyrotation: %w", err)
	}
	k, err := Parse(data)
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.path = path
	}
	return k, err
}

// Parse parses a key ring file (see "File format" in the package
// documentation). It is strict: unknown or repeated fields, a version other
// than 1 or 2, missing or malformed fields, a ring without exactly one primary
// key, an ID that is 0 or repeated and input larger than MaxFileSize are
// errors. It accepts only rings that Marshal writes back as a file it
// accepts: times outside the years 0000 to 9999 in UTC, and rings that
// Marshal would write larger than MaxFileSize, are errors too. Every error
// is a *ParseError, which matches ErrInvalidKeyring.
func Parse(data []byte) (*Keyring, error) {
	if len(data) > MaxFileSize {
		return nil, &ParseError{Key: -1, Problem: "larger than " + strconv.Itoa(MaxFileSize) + " bytes"}
	}
	// A first pass finds syntax errors, and reports them by offset only:
	// encoding/json's messages quote the input, and a Decoder's offsets
	// are not reliable. The parser below then meets valid JSON only.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, &ParseError{Key: -1, Problem: "invalid JSON at byte offset " + strconv.FormatInt(syntax.Offset, 10)}
		}
		return nil, &ParseError{Key: -1, Problem: "invalid JSON"}
	}
	// The version decides how to read the keys, so they are read after
	// it, wherever it appears.
	var version int
	var raw json.RawMessage
	delay, recordDelay := DefaultPropagationDelay, false
	p := newParser(data)
	err := p.object("", []string{"version", "keys"}, []string{"propagation_delay"}, func(name string) error {
		switch name {
		case "version":
			return p.value(name, &version, "an integer")
		case "propagation_delay":
			const want = `a non-negative duration such as "1h" or "15m"`
			var s string
			if err := p.value(name, &s, want); err != nil {
				return err
			}
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				return p.typeError(name, want)
			}
			delay, recordDelay = d, true
			return nil
		}
		return p.value(name, &raw, "an array")
	})
	if err != nil {
		return nil, err
	}
	if version != fileVersion1 && version != fileVersion2 {
		return nil, &ParseError{Key: -1, Field: "version", Problem: fmt.Sprintf("unsupported version %d, want 1 or 2", version)}
	}
	kp := newParser(raw)
	kp.version = version
	keys, err := kp.keys()
	if err != nil {
		return nil, err
	}
	k := newKeyring(keys)
	k.delay, k.recordDelay = delay, recordDelay
	// A file without Marshal's spaces holds more keys in MaxFileSize: such
	// a ring would load, but no change to it could be written back.
	if b, err := k.Marshal(); err != nil || len(b) > MaxFileSize {
		return nil, &ParseError{Key: -1, Field: "keys", Problem: "too many keys: written back, the file would be larger than " + strconv.Itoa(MaxFileSize) + " bytes"}
	}
	return k, nil
}

// parser reads a key ring file token by token, so that it can name the
// field at fault and never has to show encoding/json's messages, which may
// quote the input.
type parser struct {
	dec     *json.Decoder
	key     int // index of the key being read, -1 outside "keys"
	version int // the file's version, when reading "keys"
}

func newParser(data []byte) *parser {
	return &parser{dec: json.NewDecoder(bytes.NewReader(data)), key: -1}
}

func (p *parser) errorf(field, format string, args ...any) *ParseError {
	return &ParseError{Key: p.key, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// typeError reports that field does not hold want, a value of the right
// type and range. On valid JSON, the decoder fails only for such values.
func (p *parser) typeError(field, want string) *ParseError {
	return p.errorf(field, "must be %s", want)
}

// value decodes the value of field into v, which must hold want.
func (p *parser) value(field string, v any, want string) error {
	if err := p.dec.Decode(v); err != nil {
		return p.typeError(field, want)
	}
	return nil
}

// delim reads the delimiter ('{' or '[') that opens the value of field,
// which must hold want.
func (p *parser) delim(field string, d json.Delim, want string) error {
	if t, err := p.dec.Token(); err != nil || t != d {
		return p.typeError(field, want)
	}
	return nil
}

// object reads the JSON object that is the value of field, calling member
// for each of its fields with the decoder at the field's value. It refuses
// fields neither required nor optional, repeated fields and missing
// required fields.
func (p *parser) object(field string, required, optional []string, member func(name string) error) error {
	const want = "a JSON object"
	if err := p.delim(field, '{', want); err != nil {
		return err
	}
	seen := make(map[string]bool, len(required)+len(optional))
	for p.dec.More() {
		t, err := p.dec.Token()
		if err != nil {
			return p.typeError(field, want)
		}
		name := t.(string) // inside an object, the decoder yields names here
		switch {
		case !slices.Contains(required, name) && !slices.Contains(optional, name):
			return p.unknownField(name)
		case seen[name]:
			return p.errorf(name, "appears twice")
		}
		seen[name] = true
		if err := member(name); err != nil {
			return err
		}
	}
	if _, err := p.dec.Token(); err != nil { // the closing '}'
		return p.typeError(field, want)
	}
	for _, name := range required {
		if !seen[name] {
			return p.errorf(name, "missing")
		}
	}
	return nil
}

// unknownField reports an unknown field. A name is input, and might be a
// secret pasted in the wrong place, so the error shows it only when it looks
// like a field name: up to 32 ASCII letters, digits, '_' and '-'.
func (p *parser) unknownField(name string) *ParseError {
	const hidden = "unknown field (name not shown)"
	if len(name) > 32 {
		return p.errorf("", hidden)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return p.errorf("", hidden)
		}
	}
	return p.errorf(name, "unknown field")
}

// keys reads the array of keys and checks the ring's invariants: at least
// one key, exactly one primary key, IDs not 0 and unique.
func (p *parser) keys() ([]entry, error) {
	if err := p.delim("keys", '[', "an array"); err != nil {
		return nil, err
	}
	var keys []entry
	index := make(map[uint32]int)
	primary := -1
	for p.dec.More() {
		p.key = len(keys)
		e, err := p.entry()
		if err != nil {
			return nil, err
		}
		if prev, ok := index[e.id]; ok {
			return nil, p.errorf("id", "same id as key %d", prev)
		}
		if e.state == Primary {
			if primary >= 0 {
				return nil, p.errorf("state", "second primary key, after key %d", primary)
			}
			primary = p.key
		}
		index[e.id] = p.key
		keys = append(keys, e)
	}
	p.key = -1
	switch {
	case len(keys) == 0:
		return nil, p.errorf("keys", "no keys")
	case primary < 0:
		return nil, p.errorf("keys", "no primary key")
	}
	return keys, nil
}

// entry reads one element of "keys".
func (p *parser) entry() (entry, error) {
	var e entry
	// Room for DecodedLen of a 44-character secret, 33 bytes, which is
	// what Decode may write.
	var secret [secretSize + 1]byte
	defer clear(secret[:])
	optional := []string{"promoted"}
	if p.version >= fileVersion2 {
		optional = append(optional, "enabled")
	}
	err := p.object("", []string{"id", "state", "created", "secret"}, optional, func(name string) error {
		switch name {
		case "id":
			const want = "an integer from 1 to 4294967295"
			if err := p.value(name, &e.id, want); err != nil {
				return err
			}
			if e.id == 0 {
				return p.typeError(name, want)
			}
		case "state":
			var s string
			if err := p.value(name, &s, "a string"); err != nil {
				return err
			}
			if e.state.UnmarshalText([]byte(s)) != nil {
				return p.errorf(name, `must be "primary", "active" or "disabled"`)
			}
		case "created":
			return p.time(name, &e.created)
		case "promoted":
			return p.time(name, &e.promoted)
		case "enabled":
			return p.time(name, &e.enabled)
		case "secret":
			const want = "32 bytes in standard base64"
			var s string
			if err := p.value(name, &s, want); err != nil {
				return err
			}
			// The length is checked before decoding, which then cannot
			// overflow secret.
			if len(s) != secretEncoding.EncodedLen(secretSize) {
				return p.typeError(name, want)
			}
			if n, err := secretEncoding.Decode(secret[:], []byte(s)); err != nil || n != secretSize {
				return p.typeError(name, want)
			}
		}
		return nil
	})
	if err != nil {
		return entry{}, err
	}
	if e.m, err = newMaterial(e.id, (*[secretSize]byte)(secret[:secretSize])); err != nil {
		return entry{}, err
	}
	return e, nil
}

// time reads the time of field into t, in UTC. It accepts the times that
// Marshal can write back in a form it accepts: RFC 3339 date-times (see
// isRFC3339) within years 0000 to 9999 once in UTC.
func (p *parser) time(field string, t *time.Time) error {
	const want = "an RFC 3339 time such as 2026-11-25T20:00:00Z, from year 0000 to 9999 in UTC"
	var s string
	if err := p.value(field, &s, want); err != nil {
		return err
	}
	if !isRFC3339(s) {
		return p.typeError(field, want)
	}
	// Parse checks the ranges of the date and the time of day.
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return p.typeError(field, want)
	}
	// An offset can carry a time across a year boundary, and RFC 3339,
	// hence the file, has four-digit years only.
	if parsed = parsed.UTC(); parsed.Year() < 0 || parsed.Year() > 9999 {
		return p.typeError(field, want)
	}
	*t = parsed
	return nil
}

// isRFC3339 reports whether s has the form of an RFC 3339 date-time with an
// upper-case T and Z and at most nine digits of fraction, such as Marshal
// writes: "dddd-dd-ddTdd:dd:dd", then optionally '.' and 1 to 9 digits,
// then "Z" or an offset "+hh:mm" or "-hh:mm" with hh up to 23 and mm up to
// 59. time.Parse alone also accepts a one-digit hour, a comma before the
// fraction, longer fractions and offsets of 24 hours or more, which are not
// RFC 3339.
func isRFC3339(s string) bool {
	const dateTime = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(dateTime) || !hasForm(s[:len(dateTime)], dateTime) {
		return false
	}
	rest := s[len(dateTime):]
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 1+9 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	return len(rest) == len("+hh:mm") && (rest[0] == '+' || rest[0] == '-') &&
		hasForm(rest[1:], "dd:dd") && rest[1:3] <= "23" && rest[4:6] <= "59"
}

// hasForm reports whether s matches form, in which 'd' stands for an ASCII
// digit and every other byte for itself.
func hasForm(s, form string) bool {
	if len(s) != len(form) {
		return false
	}
	for i := range len(form) {
		if form[i] == 'd' && (s[i] < '0' || s[i] > '9') || form[i] != 'd' && s[i] != form[i] {
			return false
		}
	}
	return true
}
