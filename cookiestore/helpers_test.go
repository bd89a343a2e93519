package cookiestore_test

import "encoding/base64"

func decode(tok string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(tok) }

func encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
