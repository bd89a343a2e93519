// Package codec measures the JSON implementations that could encode and
// decode session values in place of encoding/json, and pins down where
// their results differ from encoding/json's, which are the semantics that
// values already stored rely on. It holds no code outside its tests:
//
//	go test -run '^$' -bench . -benchmem -count 8 -cpu 1 ./codec
//	go test -run Compat -v ./codec
//
// The candidates are the encoding/json/v2 experiment module with the
// options that reproduce version 1 (what Go 1.27's encoding/json is built
// on), the same with its own defaults, github.com/goccy/go-json,
// github.com/bytedance/sonic in its standard-library configuration,
// github.com/segmentio/encoding/json and json-iterator's
// ConfigCompatibleWithStandardLibrary. README.md, one directory up, gives
// the numbers and the decision.
package codec
