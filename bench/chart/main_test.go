package main

import (
	"slices"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkRequest/impl=sessionseal-2    100   2000 ns/op   384.0 cookie-bytes   1968 B/op   12 allocs/op
BenchmarkRequest/impl=sessionseal-2    100   3000 ns/op   384.0 cookie-bytes   1968 B/op   12 allocs/op
BenchmarkRequest/impl=sessionseal-2    100   9000 ns/op   384.0 cookie-bytes   1968 B/op   12 allocs/op
BenchmarkRequest/impl=scs-memstore-2   100  30000 ns/op   140.0 cookie-bytes   9000 B/op  258 allocs/op
BenchmarkRequest/impl=bare-2           100    100 ns/op   320 B/op    1 allocs/op
PASS
`

func TestDrawMediansAndRatios(t *testing.T) {
	results, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := draw(&b, results); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"3 µs, 12 allocs · baseline",          // the median of 2, 3 and 9 µs
		"30 µs, 258 allocs · 10.0× slower",    // against that median
		`width="360" height="22" class="p"/>`, // the slowest bar is the longest
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("SVG lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), ">bare<") {
		t.Errorf("SVG has a bar for the bare handler, the overhead baseline:\n%s", b.String())
	}
}

func TestParseGOMAXPROCSSuffix(t *testing.T) {
	// go test appends -N to a benchmark name when GOMAXPROCS is N, and
	// nothing when it is 1.
	for _, tc := range []struct {
		name  string
		input string
	}{
		{"GOMAXPROCS=1", `BenchmarkCookieRoundTrip/impl=securecookie-gob    100  5000 ns/op
BenchmarkCookieRoundTrip/impl=securecookie-json   100  7000 ns/op
`},
		{"GOMAXPROCS=8", `BenchmarkCookieRoundTrip/impl=securecookie-gob-8  100  5000 ns/op
BenchmarkCookieRoundTrip/impl=securecookie-json-8 100  7000 ns/op
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results, err := parse(strings.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range results {
				got = append(got, r.impl)
			}
			want := []string{"securecookie-gob", "securecookie-json"}
			if !slices.Equal(got, want) {
				t.Errorf("implementations: got %q, want %q", got, want)
			}
		})
	}
}

func TestRefusesInputWithoutBase(t *testing.T) {
	results, err := parse(strings.NewReader("BenchmarkRequest/impl=scs-memstore-2 100 30000 ns/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := draw(new(strings.Builder), results); err == nil {
		t.Fatal("draw accepted a benchmark without a sessionseal result")
	}
	if _, err := parse(strings.NewReader("PASS\n")); err == nil {
		t.Fatal("parse accepted input without results")
	}
}
