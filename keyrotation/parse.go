package keyrotation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

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

func (p *parser) errorf(field, format string, args ...any) *parseError {
	return &parseError{Key: p.key, Field: field, Problem: fmt.Sprintf(format, args...)}
}

// typeError reports that field does not hold want, a value of the right
// type and range. On valid JSON, the decoder fails only for such values.
func (p *parser) typeError(field, want string) *parseError {
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
func (p *parser) unknownField(name string) *parseError {
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
	if p.version >= fileVersion3 {
		optional = append(optional, "demoted")
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
			var ok bool
			if e.state, ok = parseState(s); !ok {
				return p.errorf(name, `must be "primary", "active" or "disabled"`)
			}
		case "created":
			return p.time(name, &e.created)
		case "promoted":
			return p.time(name, &e.promoted)
		case "demoted":
			return p.time(name, &e.demoted)
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
	if e.state == Primary && !e.demoted.IsZero() {
		return entry{}, p.errorf("demoted", "the primary key has not stopped being primary")
	}
	if e.m, err = newMaterial(e.id, (*[secretSize]byte)(secret[:secretSize])); err != nil {
		return entry{}, err
	}
	return e, nil
}

// duration reads the duration of field into d, and sets recorded.
func (p *parser) duration(field string, d *time.Duration, recorded *bool) error {
	const want = `a non-negative duration such as "1h" or "15m"`
	var s string
	if err := p.value(field, &s, want); err != nil {
		return err
	}
	parsed, err := time.ParseDuration(s)
	if err != nil || parsed < 0 {
		return p.typeError(field, want)
	}
	*d, *recorded = parsed, true
	return nil
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
