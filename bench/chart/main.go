package main

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// base is the implementation the others are compared with.
const base = "sessionseal"

// bare is the handler without sessions that the request benchmarks run
// as the baseline of their overhead-ns/op metric: no implementation, so
// it gets no bar.
const bare = "bare"

// result is one implementation's runs in one benchmark.
type result struct {
	bench, impl string
	nsPerOp     []float64
	allocs      float64
}

func main() {
	results, err := parse(os.Stdin)
	if err == nil {
		err = draw(os.Stdout, results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

// parse reads benchmark lines such as
//
//	BenchmarkRequest/impl=scs-memstore-2  100  13700 ns/op  ...  258 allocs/op
//
// and groups their times by benchmark and implementation, in input order.
func parse(r io.Reader) ([]*result, error) {
	var results []*result
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		bench, impl, ok := strings.Cut(strings.TrimPrefix(f[0], "Benchmark"), "/impl=")
		if !ok {
			continue
		}
		impl = trimProcs(impl)
		if impl == bare {
			continue
		}
		i := slices.IndexFunc(results, func(r *result) bool { return r.bench == bench && r.impl == impl })
		if i < 0 {
			results = append(results, &result{bench: bench, impl: impl})
			i = len(results) - 1
		}
		for j := 2; j+1 < len(f); j += 2 {
			v, err := strconv.ParseFloat(f[j], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %v", f[0], f[j], err)
			}
			switch f[j+1] {
			case "ns/op":
				results[i].nsPerOp = append(results[i].nsPerOp, v)
			case "allocs/op":
				results[i].allocs = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(results) == 0 {
		return nil, errors.New("no benchmark results with /impl= sub-benchmarks on standard input")
	}
	return results, nil
}

// trimProcs removes the -N that go test appends to a benchmark name when
// GOMAXPROCS is N. It appends none when N is 1, so only an all-digit
// suffix is one: "securecookie-gob" is a name, not "securecookie" on gob
// processors.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Layout, in SVG user units.
const (
	width      = 800
	labelWidth = 170
	barMax     = 360
	barHeight  = 22
	rowGap     = 8
	titleSpace = 34
	groupGap   = 18
)

var titles = map[string]string{
	"CookieRoundTrip": "Cookie round trip (save + load)",
	"Request":         "Request through the middleware, read one value",
	"CartRead":        "Request that reads the 3-item cart",
	"CartChange":      "Request that changes one quantity in the cart and saves",
}

func draw(w io.Writer, results []*result) error {
	var benches []string
	for _, r := range results {
		if !slices.Contains(benches, r.bench) {
			benches = append(benches, r.bench)
		}
	}
	var b strings.Builder
	y := 40
	for _, bench := range benches {
		rows := slices.DeleteFunc(slices.Clone(results), func(r *result) bool { return r.bench != bench })
		med := make(map[*result]float64, len(rows))
		for _, r := range rows {
			med[r] = median(r.nsPerOp)
		}
		// The base first, then the others from fastest to slowest.
		slices.SortStableFunc(rows, func(a, b *result) int {
			return cmp.Or(-cmp.Compare(boolInt(a.impl == base), boolInt(b.impl == base)),
				cmp.Compare(med[a], med[b]))
		})
		if rows[0].impl != base {
			return fmt.Errorf("benchmark %s has no %s result to compare with", bench, base)
		}
		baseNs := med[rows[0]]
		maxNs := med[rows[len(rows)-1]]
		title := cmp.Or(titles[bench], bench)
		fmt.Fprintf(&b, "<text x=\"10\" y=\"%d\" class=\"t\">%s</text>\n", y+20, html.EscapeString(title))
		y += titleSpace
		for _, r := range rows {
			ns := med[r]
			bar := max(2, int(ns/maxNs*barMax+0.5))
			class, note := "p", fmt.Sprintf("%.1f× slower", ns/baseNs)
			if r.impl == base {
				class, note = "s", "baseline"
			}
			fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" class=\"l\">%s</text>\n", labelWidth-8, y+15, html.EscapeString(r.impl))
			fmt.Fprintf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"%s\"/>\n", labelWidth, y, bar, barHeight, class)
			fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" class=\"v\">%s, %g allocs · %s</text>\n",
				labelWidth+bar+6, y+15, duration(ns), r.allocs, note)
			y += barHeight + rowGap
		}
		y += groupGap
	}
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">
<style>.t{font-weight:bold;font-size:15px}.l{text-anchor:end}.s{fill:#2b8a3e}.p{fill:#868e96}text{fill:#212529}</style>
<rect width="100%%" height="100%%" fill="#fff"/>
<text x="10" y="22" class="t">sessionseal vs peers: median time per operation (shorter is faster)</text>
%s</svg>
`, width, y, width, y, b.String())
	return err
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// duration formats nanoseconds as µs with three significant digits.
func duration(ns float64) string {
	return strconv.FormatFloat(ns/1000, 'g', 3, 64) + " µs"
}
