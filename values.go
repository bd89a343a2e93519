package session

import (
	"encoding/json"
	"unicode/utf8"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// encodeValue returns the encoding that Set stores for v: its JSON, as
// json.Marshal writes it.
//
// A string that json.Marshal would write as it is, between quotes, is
// written here without it: IDs, roles and tokens are the most common
// session values, and the output is the same bytes, so that setting a
// value equal to a stored one still changes nothing.
func encodeValue(v any) ([]byte, error) {
	if s, ok := v.(string); ok && isPlainASCII(s) {
		b := make([]byte, 0, len(s)+2)
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"'), nil
	}
	return json.Marshal(v)
}

// isPlainASCII reports whether json.Marshal writes s as it is, between
// quotes: printable ASCII without the quote and backslash, which it
// escapes, and without <, > and &, which it escapes for HTML.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= utf8.RuneSelf, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// decodeValue decodes a value that Set stored into dst, as json.Unmarshal
// does.
//
// A *string dst and a JSON string without escapes take a shorter way with
// the same result. Anything else goes to the json/v2 engine in its v1 mode,
// which decodes as json.Unmarshal does at about twice its speed (Go 1.27's
// encoding/json runs on that engine, and the module then becomes an alias
// of it). When that fails, json.Unmarshal decodes again, so that errors
// are the standard library's, in type and in text. What dst holds after
// an error can differ: json.Unmarshal stops at a failing UnmarshalJSON
// method, the engine goes on with the fields after it.
func decodeValue(data []byte, dst any) error {
	if p, ok := dst.(*string); ok && p != nil {
		if s, ok := unescapedString(data); ok {
			*p = s
			return nil
		}
	}
	if jsonv1.Unmarshal(data, dst) == nil {
		return nil
	}
	return json.Unmarshal(data, dst)
}

// unescapedString returns the string that data holds when data is a JSON
// string whose content needs no decoding: valid UTF-8 between quotes,
// without backslashes, quotes or control characters.
func unescapedString(data []byte) (string, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}
	body := data[1 : len(data)-1]
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	// json.Unmarshal replaces invalid UTF-8 with U+FFFD.
	if !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}
