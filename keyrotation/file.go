package keyrotation

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Versions of the key ring file. Version 2 adds the optional "enabled"
// field of keys; version 3 adds the optional "demoted" field of keys and
// "max_lifetime" of the ring. Marshal writes the lowest version that holds
// the ring, so that rings that use none of the later fields stay readable
// by readers of the earlier versions.
const (
	fileVersion1 = 1
	fileVersion2 = 2
	fileVersion3 = 3
)

// maxFileSize is the size of the largest key ring file that Parse and
// LoadFile accept and WriteFile writes, 1 MiB: thousands of keys, far more
// than a ring needs.
const maxFileSize = 1 << 20

// secretEncoding is the encoding of a secret in the file: standard base64
// with padding, one encoding per secret.
var secretEncoding = base64.StdEncoding.Strict()

// parseError says what is wrong with a key ring file: one that Parse,
// LoadFile or WatchFile read, or one that WriteFile refused to write because
// it would not read back. It matches ErrInvalidKeyring. Its text names the
// key, the field and the problem, and never contains secrets or the file's
// content: a JSON syntax error is reported by byte offset only.
type parseError struct {
	Key     int    // index in "keys", or -1 when the problem is not in one key
	Field   string // the JSON field at fault, or "" when the problem is not in one field
	Problem string

	path      string // the file read, or not written, when there was one
	unwritten bool   // WriteFile left path as it was
}

// Error returns a description such as
// `keyrotation: key 2: field "secret": must be 32 bytes in standard base64`.
func (e *parseError) Error() string {
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
func (e *parseError) Is(target error) bool { return target == ErrInvalidKeyring }

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
		State    string `json:"state"`
		Created  string `json:"created"`
		Promoted string `json:"promoted,omitempty"`
		Demoted  string `json:"demoted,omitempty"`
		Enabled  string `json:"enabled,omitempty"`
		Secret   string `json:"secret"`
	}
	type file struct {
		Version          int    `json:"version"`
		PropagationDelay string `json:"propagation_delay,omitempty"`
		MaxLifetime      string `json:"max_lifetime,omitempty"`
		Keys             []key  `json:"keys"`
	}
	s := k.snap.Load()
	f := file{Version: fileVersion1, Keys: make([]key, len(s.keys))}
	// A ring that never set a wait leaves it out, so that the file follows
	// the default.
	if k.recordDelay {
		f.PropagationDelay = k.delay.String()
	}
	version2, version3 := false, k.recordLifetime
	if k.recordLifetime {
		f.MaxLifetime = k.lifetime.String()
	}
	for i, e := range s.keys {
		f.Keys[i] = key{
			ID:      e.id,
			State:   e.state.String(),
			Created: e.created.Format(time.RFC3339Nano),
			Secret:  secretEncoding.EncodeToString(e.m.secret[:]),
		}
		if !e.promoted.IsZero() {
			f.Keys[i].Promoted = e.promoted.Format(time.RFC3339Nano)
		}
		// Only demotions that the primary key's promotion does not imply
		// are kept (see Keyring.promote).
		if !e.demoted.IsZero() {
			f.Keys[i].Demoted = e.demoted.Format(time.RFC3339Nano)
			version3 = true
		}
		// The enabled time depends on the ring alone, never on the clock,
		// so that Marshal gives the same file for the same ring.
		if !e.enabled.IsZero() {
			f.Keys[i].Enabled = e.enabled.Format(time.RFC3339Nano)
			version2 = true
		}
	}
	switch {
	case version3:
		f.Version = fileVersion3
	case version2:
		f.Version = fileVersion2
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keyrotation: encoding key ring: %w", err)
	}
	return append(b, '\n'), nil
}

// Parse parses a key ring file (see "File format" in the package
// documentation). It is strict: unknown or repeated fields, a version other
// than 1, 2 or 3, fields of a later version than the file's, missing or
// malformed fields, a ring without exactly one primary key, an ID that is 0
// or repeated and input larger than 1 MiB are errors. It accepts only rings that Marshal writes back as a file it
// accepts: times outside the years 0000 to 9999 in UTC, and rings that
// Marshal would write larger than 1 MiB, are errors too. Every error matches
// ErrInvalidKeyring.
func Parse(data []byte) (*Keyring, error) {
	if len(data) > maxFileSize {
		return nil, &parseError{Key: -1, Problem: "larger than " + strconv.Itoa(maxFileSize) + " bytes"}
	}
	// A first pass finds syntax errors, and reports them by offset only:
	// encoding/json's messages quote the input, and a Decoder's offsets
	// are not reliable. The parser below then meets valid JSON only.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, &parseError{Key: -1, Problem: "invalid JSON at byte offset " + strconv.FormatInt(syntax.Offset, 10)}
		}
		return nil, &parseError{Key: -1, Problem: "invalid JSON"}
	}
	// The version decides how to read the keys, so they are read after
	// it, wherever it appears.
	var version int
	var raw json.RawMessage
	delay, recordDelay := defaultPropagationDelay, false
	lifetime, recordLifetime := defaultMaxLifetime, false
	p := newParser(data)
	err := p.object("", []string{"version", "keys"}, []string{"propagation_delay", "max_lifetime"}, func(name string) error {
		switch name {
		case "version":
			return p.value(name, &version, "an integer")
		case "propagation_delay":
			return p.duration(name, &delay, &recordDelay)
		case "max_lifetime":
			return p.duration(name, &lifetime, &recordLifetime)
		}
		return p.value(name, &raw, "an array")
	})
	if err != nil {
		return nil, err
	}
	if version < fileVersion1 || version > fileVersion3 {
		return nil, &parseError{Key: -1, Field: "version", Problem: fmt.Sprintf("unsupported version %d, want 1, 2 or 3", version)}
	}
	// Read before the version was known, like every field.
	if recordLifetime && version < fileVersion3 {
		return nil, p.unknownField("max_lifetime")
	}
	kp := newParser(raw)
	kp.version = version
	keys, err := kp.keys()
	if err != nil {
		return nil, err
	}
	k := newKeyring(keys)
	k.delay, k.recordDelay = delay, recordDelay
	k.lifetime, k.recordLifetime = lifetime, recordLifetime
	// A file without Marshal's spaces holds more keys in maxFileSize: such
	// a ring would load, but no change to it could be written back.
	if b, err := k.Marshal(); err != nil || len(b) > maxFileSize {
		return nil, &parseError{Key: -1, Field: "keys", Problem: "too many keys: written back, the file would be larger than " + strconv.Itoa(maxFileSize) + " bytes"}
	}
	return k, nil
}
