package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// role is a named string type: encodeValue and decodeValue must treat it
// as json does, methods and all.
type role string

// valueStrings are strings of every class that json.Marshal treats apart:
// plain ASCII, the characters it escapes, control characters, non-ASCII,
// the line separators it escapes for JavaScript, and invalid UTF-8.
var valueStrings = []string{
	"", "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L", "kq3V1pXo9bA2sLr7TnE4wYc8HfJ0",
	`say "hi"`, `back\slash`, "<script>", "a&b", "a>b", "tab\there", "nul\x00",
	"\x1f", "\x7f", "café", "日本語", "a\u2028b", "\u2029", "a\xffb",
	"\xed\xa0\x80", "\xc3", "\U0001F600",
}

// everyShortString calls f with every string of up to two bytes.
func everyShortString(f func(string)) {
	f("")
	for a := range 256 {
		f(string([]byte{byte(a)}))
		for b := range 256 {
			f(string([]byte{byte(a), byte(b)}))
		}
	}
}

// randomStrings returns n strings of random bytes, each up to 40 long and
// mostly printable ASCII, as session values are, from a fixed seed.
func randomStrings(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		b := make([]byte, r.IntN(40))
		for j := range b {
			if r.IntN(8) == 0 {
				b[j] = byte(r.IntN(256))
			} else {
				b[j] = byte(0x20 + r.IntN(0x5f))
			}
		}
		out[i] = string(b)
	}
	return out
}

func TestEncodeValueIsMarshal(t *testing.T) {
	check := func(v any) {
		t.Helper()
		got, gotErr := encodeValue(v)
		want, wantErr := json.Marshal(v)
		if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("encodeValue(%#v) = %q, %v; want json.Marshal's %q, %v", v, got, gotErr, want, wantErr)
		}
	}
	for _, s := range valueStrings {
		check(s)
		check(role(s))
		check(&s)
		check([]string{s})
	}
	everyShortString(func(s string) { check(s) })
	for _, s := range randomStrings(20000) {
		check(s)
	}
	for _, v := range []any{
		nil, 42, -1.5, true, []int(nil), map[string]int{"b": 1, "a": 2},
		json.RawMessage(`{ "a" : 1 }`), time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		struct{ SKU string }{"BOOK-0001"}, make(chan int),
	} {
		check(v)
	}
}

// decodeCases are JSON texts to decode into a string: valid ones with and
// without escapes, and ones json.Unmarshal refuses or that are not strings.
var decodeCases = []string{
	`"usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L"`, `""`, `"café"`, `"a\"b"`, `"a\\b"`,
	`"\u003cscript\u003e"`, `"a\u2028b"`, `"\ud83d\ude00"`, `"\ud83d"`, `"a\/b"`,
	"\"a\xffb\"", "\"\xed\xa0\x80\"", "\"tab\there\"", "\"nul\x00\"", "\"\x7f\"",
	`"a"b"`, `"abc`, `"`, `abc"`, ``, `null`, ` "a"`, `"a" `, `"a"x`, `1`,
	`true`, `{"a":1}`, `["a"]`, `"\"`, `"\x"`,
}

func TestDecodeValueIsUnmarshal(t *testing.T) {
	check := func(data string) {
		t.Helper()
		got, want := "before", "before"
		gotErr := decodeValue([]byte(data), &got)
		wantErr := json.Unmarshal([]byte(data), &want)
		if got != want || errText(gotErr) != errText(wantErr) {
			t.Fatalf("decodeValue(%q) = %q, %v; want json.Unmarshal's %q, %v", data, got, gotErr, want, wantErr)
		}
		gotRole, wantRole := role("before"), role("before")
		gotErr = decodeValue([]byte(data), &gotRole)
		wantErr = json.Unmarshal([]byte(data), &wantRole)
		if gotRole != wantRole || errText(gotErr) != errText(wantErr) {
			t.Fatalf("decodeValue(%q) into a role = %q, %v; want json.Unmarshal's %q, %v", data, gotRole, gotErr, wantRole, wantErr)
		}
	}
	for _, data := range decodeCases {
		check(data)
	}
	everyShortString(func(s string) { check(`"` + s + `"`) })
	for _, s := range append(randomStrings(20000), valueStrings...) {
		check(`"` + s + `"`)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		check(string(b))
	}
}

func TestDecodeValueNilString(t *testing.T) {
	var p *string
	gotErr := decodeValue([]byte(`"a"`), p)
	wantErr := json.Unmarshal([]byte(`"a"`), p)
	if gotErr == nil || errText(gotErr) != errText(wantErr) {
		t.Fatalf("decodeValue into a nil *string: got %v, want json.Unmarshal's %v", gotErr, wantErr)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// shape is a stored value of the kinds applications keep: nested
// structs, slices, maps, pointers, an interface, a time and a raw message.
type shape struct {
	Name   string
	Qty    int
	Price  float64 `json:"price,omitempty"`
	Tags   []string
	Items  []struct{ SKU string }
	Counts map[string]int
	Next   *shape
	Any    any
	At     time.Time
	Raw    json.RawMessage
	hidden int
}

// shapeCases decode into a shape, a []shape and a map: fields in another
// case, unknown fields, wrong types deep inside, nulls, duplicates,
// truncations, trailing data and syntax errors.
var shapeCases = []string{
	`{"Name":"a","Qty":2,"price":1.5,"Tags":["x","y"],"Items":[{"SKU":"s"}],"Counts":{"k":1},"Next":{"Name":"n"},"Any":{"a":[1,"b",null]},"At":"2026-01-02T03:04:05Z","Raw":{"r":1}}`,
	`{"name":"lower","QTY":3,"PRICE":2,"unknown":[1,2]}`,
	`{"Name":"a","Qty":"not a number","Tags":["x",1],"Counts":{"k":"v"},"Next":{"Qty":true}}`,
	`{"Name":null,"Qty":null,"Tags":null,"Counts":null,"Next":null,"Any":null}`,
	`{"Name":"first","Name":"second","Qty":1,"Qty":2}`,
	`{"Items":[{"SKU":"a"},{"SKU":2},{"SKU":"c"}],"Qty":1.5}`,
	`{"At":"yesterday","Raw":nul}`, `{"At":"2026-01-02T03:04:05Z","Qty":99999999999999999999}`,
	`{"Name":"a"} junk`, `{"Name":"a"`, `{"Name":"a",}`, `[{"Name":"a"},{"Qty":"b"},3]`,
	`{"k":1,"j":"x"}`, `"\ud83d"`, `{"Name":"\u00e9\ud800"}`, "{\"Name\":\"\xff\"}", ``, `null`, `[]`, `{}`,
}

// TestDecodeValueStructsAreUnmarshal compares decodeValue with
// json.Unmarshal on structured values, into empty and filled
// destinations: the error's text and type, and the decoded value when
// there is no error (after one, json.Unmarshal leaves dst unspecified).
func TestDecodeValueStructsAreUnmarshal(t *testing.T) {
	for _, data := range shapeCases {
		checkShapes(t, []byte(data))
	}
}

func checkShapes(t *testing.T, data []byte) {
	t.Helper()
	filled := func() shape {
		return shape{Name: "before", Tags: []string{"old"}, Counts: map[string]int{"old": 1}, Next: &shape{Qty: 7}, Any: "old"}
	}
	for _, dst := range []func() any{
		func() any { v := filled(); return &v },
		func() any { v := []shape{filled(), {}}; return &v },
		func() any { return new(any) },
	} {
		got, want := dst(), dst()
		gotErr := decodeValue(data, got)
		wantErr := json.Unmarshal(data, want)
		sameValue := wantErr != nil || reflect.DeepEqual(got, want)
		if !sameValue || errText(gotErr) != errText(wantErr) || fmt.Sprintf("%T", gotErr) != fmt.Sprintf("%T", wantErr) {
			t.Fatalf("decodeValue(%q) into %T = %+v, %T %v; want json.Unmarshal's %+v, %T %v", data, got, got, gotErr, gotErr, want, wantErr, wantErr)
		}
	}
}

func FuzzDecodeValue(f *testing.F) {
	for _, data := range append(decodeCases, shapeCases...) {
		f.Add([]byte(data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkShapes(t, data)
		got, want := "before", "before"
		gotErr := decodeValue(data, &got)
		wantErr := json.Unmarshal(data, &want)
		if got != want || errText(gotErr) != errText(wantErr) {
			t.Fatalf("decodeValue(%q) = %q, %v; want json.Unmarshal's %q, %v", data, got, gotErr, want, wantErr)
		}
	})
}

func FuzzEncodeValue(f *testing.F) {
	for _, s := range valueStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, _ := encodeValue(s)
		want, _ := json.Marshal(s)
		if !bytes.Equal(got, want) {
			t.Fatalf("encodeValue(%q) = %q, want json.Marshal's %q", s, got, want)
		}
	})
}

// BenchmarkValueCodec measures what Set and Get spend on typical values.
func BenchmarkValueCodec(b *testing.B) {
	type cartItem struct {
		SKU string
		Qty int
	}
	for _, c := range []struct {
		name string
		v    any
		dst  func() any
	}{
		{"string", "usr_01JD6Z0Q3A4B5C6D7E8F9G0H1J2K3L", func() any { return new(string) }},
		{"cart", []cartItem{{"BOOK-0001", 1}, {"MUG-0042", 2}, {"PEN-0007", 10}}, func() any { return new([]cartItem) }},
	} {
		data, err := json.Marshal(c.v)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("op=encode/value="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := encodeValue(c.v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("op=decode/value="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := decodeValue(data, c.dst()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
