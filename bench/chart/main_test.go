package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkRequest/impl=sessionseal-2    100   2000 ns/op   384.0 cookie-bytes   1968 B/op   12 allocs/op
BenchmarkRequest/impl=sessionseal-2    100   3000 ns/op   384.0 cookie-bytes   1968 B/op   12 allocs/op
BenchmarkRequest/impl=sessionseal-2    100   9000 ns/op   384.0 cookie-bytes   1968 B/op   12 allocs/op
BenchmarkRequest/impl=scs-memstore-2   100  30000 ns/op   140.0 cookie-bytes   9000 B/op  258 allocs/op
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
