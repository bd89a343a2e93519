package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bytedance/sonic"
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	gojson "github.com/goccy/go-json"
	jsoniter "github.com/json-iterator/go"
	segjson "github.com/segmentio/encoding/json"
)

// CartItem is the item of the bench module's reference cart.
type CartItem struct {
	SKU string
	Qty int
}

// Profile is a typical struct value: tags, a slice, a time.
type Profile struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Roles []string  `json:"roles"`
	Admin bool      `json:"admin"`
	Since time.Time `json:"since"`
}

type codec struct {
	name      string
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
}

var jsoniterStd = jsoniter.ConfigCompatibleWithStandardLibrary

// codecs lists encoding/json first: every other one is compared with it.
var codecs = []codec{
	{"v1", json.Marshal, json.Unmarshal},
	{"v2-v1opts",
		func(v any) ([]byte, error) { return jsonv2.Marshal(v, jsonv1.DefaultOptionsV1()) },
		func(b []byte, v any) error { return jsonv2.Unmarshal(b, v, jsonv1.DefaultOptionsV1()) }},
	{"v2-default",
		func(v any) ([]byte, error) { return jsonv2.Marshal(v) },
		func(b []byte, v any) error { return jsonv2.Unmarshal(b, v) }},
	{"goccy", gojson.Marshal, gojson.Unmarshal},
	{"sonic-std", sonic.ConfigStd.Marshal, sonic.ConfigStd.Unmarshal},
	{"segmentio", segjson.Marshal, segjson.Unmarshal},
	{"jsoniter-std", jsoniterStd.Marshal, jsoniterStd.Unmarshal},
}

// values are typical session values, each with a new destination of its
// type.
var values = []struct {
	name string
	v    any
	dst  func() any
}{
	{"string", "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L", func() any { return new(string) }},
	{"int", 1234567, func() any { return new(int) }},
	{"cart", []CartItem{{"BOOK-0001", 1}, {"MUG-0042", 2}, {"PEN-0007", 10}}, func() any { return new([]CartItem) }},
	{"profile", Profile{Name: "Ada Lovelace", Email: "ada@example.com", Roles: []string{"editor", "billing"},
		Since: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}, func() any { return new(Profile) }},
	{"map", map[string]string{"theme": "dark", "lang": "en-GB", "tz": "Europe/London"}, func() any { return new(map[string]string) }},
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, v := range values {
		data, err := json.Marshal(v.v)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range codecs {
			b.Run("value="+v.name+"/codec="+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := c.unmarshal(data, v.dst()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, v := range values {
		for _, c := range codecs {
			b.Run("value="+v.name+"/codec="+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.marshal(v.v); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type ptrMarshaler struct{ X int }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`{ "x" : 1 }`), nil }

type withPtrField struct{ P ptrMarshaler }

type tagged struct {
	N int64  `json:",string"`
	O string `json:",omitempty"`
	Z int    `json:"z,omitzero"`
}

// compatCases are the behaviours of encoding/json that stored values and
// the code reading them rely on. Each returns what a codec did: the JSON
// it wrote or the value it decoded, and whether it failed. Error texts are
// left out, except in the case that asks whether one quotes the input.
var compatCases = []struct {
	name string
	run  func(c codec) string
}{
	{"decode field names in another case", func(c codec) string { return dec(c, `[{"sku":"A","QTY":1}]`, new([]CartItem)) }},
	{"encode nil slice", func(c codec) string { return enc(c, []CartItem(nil)) }},
	{"encode nil map", func(c codec) string { return enc(c, map[string]int(nil)) }},
	{"encode invalid UTF-8", func(c codec) string { return enc(c, "a\xffb") }},
	{"decode invalid UTF-8", func(c codec) string { return dec(c, "\"a\xffb\"", new(string)) }},
	{"decode lone surrogate escape", func(c codec) string { return dec(c, `"\ud83d"`, new(string)) }},
	{"encode <, > and &", func(c codec) string { return enc(c, "<a&b>") }},
	{"encode U+2028", func(c codec) string { return enc(c, "a\u2028b") }},
	{"encode map key order", func(c codec) string { return enc(c, map[string]int{"b": 1, "a": 2, "c": 3}) }},
	{"decode duplicate names", func(c codec) string { return dec(c, `{"SKU":"A","SKU":"B"}`, new(CartItem)) }},
	{"decode unknown field", func(c codec) string { return dec(c, `{"SKU":"A","Color":"red"}`, new(CartItem)) }},
	{"decode null into string", func(c codec) string { s := "keep"; return dec(c, `null`, &s) }},
	{"decode into filled slice", func(c codec) string { s := []CartItem{{"X", 1}, {"Y", 2}}; return dec(c, `[{"Qty":5}]`, &s) }},
	{"decode into filled map", func(c codec) string { m := map[string]int{"a": 1}; return dec(c, `{"b":2}`, &m) }},
	{"decode number into any", func(c codec) string { var v any; return dec(c, `[12345678901234567890,1.5]`, &v) }},
	{"decode 1.0 into int", func(c codec) string { var v int; return dec(c, `1.0`, &v) }},
	{"decode wrong type, then the rest", func(c codec) string { var v CartItem; return dec(c, `{"SKU":5,"Qty":2}`, &v) }},
	{"decode trailing data", func(c codec) string { var v int; return dec(c, `1 2`, &v) }},
	{"encode floats", func(c codec) string { return enc(c, []float64{1e21, 1e-7, 0.1}) }},
	{"encode time", func(c codec) string { return enc(c, time.Date(2025, 3, 1, 12, 0, 0, 5, time.FixedZone("x", 3600))) }},
	{"encode pointer MarshalJSON of a non-addressable value", func(c codec) string { return enc(c, ptrMarshaler{}) }},
	{"encode MarshalJSON output compacted", func(c codec) string { return enc(c, &withPtrField{}) }},
	{"encode omitzero tag", func(c codec) string { return enc(c, tagged{N: 5}) }},
	{"encode NaN", func(c codec) string { return enc(c, math.NaN()) }},
	{"decode nesting 10001 deep", func(c codec) string {
		var v any
		return dec(c, strings.Repeat("[", 10001)+strings.Repeat("]", 10001), &v)
	}},
	{"error text quotes the input", func(c codec) string {
		var v CartItem
		err := c.unmarshal([]byte(`{"Qty":"secret-4711"}`), &v)
		return fmt.Sprint(err != nil && strings.Contains(err.Error(), "secret-4711"))
	}},
}

func enc(c codec, v any) string {
	b, err := c.marshal(v)
	if err != nil {
		return "error"
	}
	return string(b)
}

func dec(c codec, data string, dst any) string {
	err := c.unmarshal([]byte(data), dst)
	s := fmt.Sprintf("%#v", reflect.ValueOf(dst).Elem().Interface())
	if len(s) > 80 {
		s = s[:80]
	}
	if err != nil {
		s += " (error)"
	}
	return s
}

// wantDiffs lists, for each codec, the compatCases in which it does not do
// what encoding/json does. README.md's choice of codec rests on it.
var wantDiffs = map[string][]string{
	"v2-v1opts": {"encode invalid UTF-8"},
	"v2-default": {"decode field names in another case", "encode nil slice", "encode nil map",
		"encode invalid UTF-8", "decode invalid UTF-8", "decode lone surrogate escape",
		"encode <, > and &", "encode U+2028", "encode map key order", "decode duplicate names",
		"decode null into string", "decode into filled slice", "decode wrong type, then the rest",
		"decode trailing data", "encode pointer MarshalJSON of a non-addressable value",
		"decode nesting 10001 deep"},
	"goccy":     {"decode trailing data"},
	"sonic-std": {"decode trailing data", "error text quotes the input"},
	"segmentio": {"decode wrong type, then the rest", "decode trailing data", "encode omitzero tag",
		"decode nesting 10001 deep", "error text quotes the input"},
	"jsoniter-std": {"decode invalid UTF-8", "decode null into string", "decode 1.0 into int",
		"decode wrong type, then the rest", "decode trailing data", "encode floats",
		"encode MarshalJSON output compacted", "encode omitzero tag", "decode nesting 10001 deep",
		"error text quotes the input"},
}

// TestCompat checks, case by case, which codecs do what encoding/json does,
// against wantDiffs; run it with -v to see what each one does instead.
func TestCompat(t *testing.T) {
	got := map[string][]string{}
	for _, tc := range compatCases {
		want := tc.run(codecs[0])
		for _, c := range codecs[1:] {
			if res := tc.run(c); res != want {
				got[c.name] = append(got[c.name], tc.name)
				t.Logf("%s: %s: %q, encoding/json: %q", c.name, tc.name, res, want)
			}
		}
	}
	for _, c := range codecs[1:] {
		if !slices.Equal(got[c.name], wantDiffs[c.name]) {
			t.Errorf("%s differs from encoding/json in\n\t%q\nwant\n\t%q", c.name, got[c.name], wantDiffs[c.name])
		}
	}
}

// TestRoundTrip checks that every codec gives the typical values back and
// reports which write other bytes than encoding/json.
func TestRoundTrip(t *testing.T) {
	for _, v := range values {
		want, err := json.Marshal(v.v)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codecs {
			dst := v.dst()
			if err := c.unmarshal(want, dst); err != nil {
				t.Errorf("%s: decoding %s: %v", c.name, v.name, err)
			} else if got := reflect.ValueOf(dst).Elem().Interface(); !reflect.DeepEqual(got, v.v) {
				t.Errorf("%s: decoding %s: got %#v, want %#v", c.name, v.name, got, v.v)
			}
			got, err := c.marshal(v.v)
			if err != nil {
				t.Errorf("%s: encoding %s: %v", c.name, v.name, err)
			}
			// Only v2's own defaults order map keys otherwise: it does not
			// sort them.
			if sameBytes := bytes.Equal(got, want); sameBytes != (c.name != "v2-default" || v.name != "map") {
				t.Errorf("%s: encoding %s: got %s, encoding/json %s", c.name, v.name, got, want)
			}
		}
	}
}
